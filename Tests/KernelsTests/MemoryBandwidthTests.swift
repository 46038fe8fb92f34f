import Testing
import Kernels

/// The bandwidth measurement reads every value it claims to, whatever the split among threads.
@Suite struct MemoryBandwidthTests {
    @Test func everyValueIsReadAndTheRateIsFinite() {
        // 4 MiB + 12 bytes: a remainder after the sixteen-lane groups, split among the threads.
        let measured = MemoryBandwidth.read(bytes: (4 << 20) + 12, passes: 2)
        #expect(measured.valuesRead == (1 << 20) + 3)
        #expect(measured.gigabytesPerSecond.isFinite && measured.gigabytesPerSecond > 0)
    }
}
