// swift-tools-version: 6.2
import PackageDescription

/// Hot numeric targets are built with -Ounchecked in release builds and, on x86-64, for Haswell's
/// instruction set (AVX2 and FMA, which every x86-64 machine this runs on has): without a target
/// CPU Swift emits baseline x86-64 and the SIMD kernels run several times slower. The register
/// tiles are compiled a second time for AVX-512 (`KernelsAVX512`) and chosen at run time, so a
/// binary, or an app that depends on these libraries, runs on any of those machines and is not
/// tied to the one that built it (as `-target-cpu native` would tie it).
#if arch(x86_64)
let baseCPU = ["-target-cpu", "haswell"], wideCPU = ["-target-cpu", "skylake-avx512"]
#else
let baseCPU: [String] = [], wideCPU: [String] = []
#endif
let hotFlags: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"] + baseCPU, .when(configuration: .release))]
let wideFlags: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"] + wideCPU, .when(configuration: .release))]
/// The bfloat16 dot-product tiles need AVX512-BF16 (Cooper Lake's set: AVX-512 with BF16, which Zen 4
/// and later have too), in every configuration: their one intrinsic inlines only into code built for it.
#if arch(x86_64)
let bfloat16Flags: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "cooperlake"]), .unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
#else
let bfloat16Flags: [SwiftSetting] = []
#endif

let package = Package(
    name: "Strawberry",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "strawberry", targets: ["strawberry"]),
        .library(name: "Kernels", targets: ["Kernels"]),
        .library(name: "Cluster", targets: ["Cluster"]),
        .library(name: "Model", targets: ["Model"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "Tasks", targets: ["Tasks"]),
        .library(name: "Reasoning", targets: ["Reasoning"]),
        .library(name: "Serving", targets: ["Serving"]),
        .library(name: "Reports", targets: ["Reports"]),
    ],
    // Off by default: the default build needs no system package. `swift build --traits MPI` links
    // Open MPI (Debian: libopenmpi-dev, openmpi-bin) for data-parallel runs under mpirun or srun.
    traits: [.trait(name: "MPI", description: "Data-parallel sft, rl and eval across the ranks of an MPI job (needs Open MPI's libmpi and mpi.h).")],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // The server only; no optional traits (swift-configuration, URL-encoded forms) are needed.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // One header: the prefetch hint the bfloat16 dot-product tiles give (no library to link).
        .systemLibrary(name: "CPrefetch"),
        .target(name: "RegisterTiles", dependencies: ["CPrefetch"], swiftSettings: hotFlags),
        .target(name: "KernelsAVX512", dependencies: ["RegisterTiles"], swiftSettings: wideFlags),
        // One header: vdpbf16ps, the bfloat16 dot product of AVX512-BF16 (no library to link).
        .systemLibrary(name: "CBFloat16Dot"),
        .target(name: "KernelsBF16", dependencies: ["RegisterTiles", "CBFloat16Dot", "CPrefetch"], swiftSettings: bfloat16Flags),
        .target(name: "Kernels", dependencies: ["RegisterTiles", "KernelsAVX512", "KernelsBF16", "CPrefetch"], swiftSettings: hotFlags),
        .systemLibrary(name: "CMPI", pkgConfig: "ompi", providers: [.apt(["libopenmpi-dev"])]),
        .target(name: "Cluster", dependencies: [.target(name: "CMPI", condition: .when(traits: ["MPI"]))]),
        .target(name: "Model", dependencies: ["Kernels"], swiftSettings: hotFlags),
        .target(name: "Tasks", dependencies: ["Kernels"]),
        .target(name: "Reasoning", dependencies: ["Model", "Tasks", "Kernels", "Cluster"], swiftSettings: hotFlags),
        .target(name: "Reports", dependencies: ["Reasoning"]),
        .target(name: "Training", dependencies: ["Model", "Kernels", "Tasks", "Reasoning", "Reports", "Cluster"], swiftSettings: hotFlags),
        .target(
            name: "Serving",
            dependencies: [
                "Model", "Tasks", "Reasoning",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "strawberry",
            dependencies: [
                "Kernels", "Cluster", "Model", "Tasks", "Reasoning", "Reports", "Training", "Serving",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: hotFlags
        ),
        // A tiny Hugging Face model folder (BPE tokenizer, Qwen2 or Llama weights) for import tests.
        .target(name: "TestSupport", dependencies: ["Model", "Kernels"], path: "Tests/TestSupport"),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "KernelsAVX512", "KernelsBF16", "RegisterTiles"]),
        .testTarget(name: "ModelTests", dependencies: ["Model", "Kernels", "TestSupport"], exclude: ["bpe_reference.py"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Model", "Tasks", "Reasoning", "TestSupport"]),
        .testTarget(name: "TasksTests", dependencies: ["Tasks", "TestSupport"]),
        .testTarget(name: "ReasoningTests", dependencies: ["Reasoning", "Reports", "Model", "Tasks", "Training", "TestSupport"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "Reasoning"]),
        .testTarget(name: "ServingTests", dependencies: ["Serving", "Reasoning", "Model", "TestSupport"], exclude: ["openai_client_check.py"]),
    ]
)
