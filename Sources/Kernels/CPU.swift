import Foundation

/// The processor the kernels run on, read once from `/proc/cpuinfo` (elsewhere: unknown, no
/// AVX-512). `STRAWBERRY_CPU=avx2` makes an AVX-512 machine take the AVX2 kernels, to check that
/// both give the same results.
public enum CPU {
    public static let model: String = field("model name") ?? "unknown CPU"
    static let flags: Set<String> = Set((field("flags") ?? "").split(separator: " ").map(String.init))

    /// Whether the AVX-512 kernels run (foundation and byte/word instructions, and not turned off).
    public static let hasAVX512 = flags.contains("avx512f") && flags.contains("avx512bw")
        && ProcessInfo.processInfo.environment["STRAWBERRY_CPU"] != "avx2"
    /// Whether the CPU has AVX512-BF16 (`vdpbf16ps`).
    public static let hasAVX512BF16 = hasAVX512 && flags.contains("avx512_bf16")

    /// `AMD EPYC, AVX-512 (with BF16), 2 threads` — what every benchmark prints about its machine.
    public static var summary: String {
        let isa = hasAVX512 ? "AVX-512" + (hasAVX512BF16 ? " (with BF16)" : "") : "AVX2"
        return "\(model), \(isa) kernels, \(Parallel.threadCount) threads"
    }

    private static func field(_ name: String) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return nil
    }
}
