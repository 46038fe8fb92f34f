// swift-tools-version: 6.0
import PackageDescription

/// Hot numeric targets are built with -Ounchecked and -target-cpu native in release builds:
/// without a target CPU Swift emits baseline x86-64 and the SIMD kernels run several times slower.
let hotFlags: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-target-cpu", "native"], .when(configuration: .release)),
]

let package = Package(
    name: "Strawberry",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "strawberry", targets: ["strawberry"]),
        .library(name: "Kernels", targets: ["Kernels"]),
        .library(name: "Model", targets: ["Model"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "Tasks", targets: ["Tasks"]),
        .library(name: "Reasoning", targets: ["Reasoning"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .target(name: "Kernels", swiftSettings: hotFlags),
        .target(name: "Model", dependencies: ["Kernels"], swiftSettings: hotFlags),
        .target(name: "Tasks", dependencies: ["Kernels"]),
        .target(name: "Reasoning", dependencies: ["Model", "Tasks", "Kernels"], swiftSettings: hotFlags),
        .target(name: "Training", dependencies: ["Model", "Kernels", "Tasks", "Reasoning"], swiftSettings: hotFlags),
        .executableTarget(
            name: "strawberry",
            dependencies: [
                "Kernels", "Model", "Tasks", "Reasoning", "Training",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: hotFlags
        ),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels"]),
        .testTarget(name: "ModelTests", dependencies: ["Model", "Kernels"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Model", "Tasks", "Reasoning"]),
        .testTarget(name: "TasksTests", dependencies: ["Tasks"]),
        .testTarget(name: "ReasoningTests", dependencies: ["Reasoning", "Model", "Tasks", "Training"]),
    ]
)
