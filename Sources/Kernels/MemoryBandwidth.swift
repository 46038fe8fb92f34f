/// How fast this machine's cores read memory: the bound on decoding a model too large for the
/// caches, which reads every weight once per step whatever the kernels do.
public enum MemoryBandwidth {
    /// Reads `bytes` of floats (each a 1, written first so that every page is the process's own)
    /// on `Parallel.threadCount` threads, one warm-up pass and then `passes` more; returns the
    /// fastest pass in GB/s and how many values that pass summed, which the caller can check
    /// against `bytes / 4` (the sum keeps the reads from being optimised away).
    public static func read(bytes: Int = 512 << 20, passes: Int = 5) -> (gigabytesPerSecond: Double, valuesRead: Int) {
        precondition(bytes >= 4 && passes >= 1, "read at least one value, at least once")
        let buffer = FloatBuffer(count: bytes / 4)
        let parts = Parallel.threadCount
        Parallel.forEach(parts) { part in
            let (i0, i1) = Partition.range(part, of: parts, total: buffer.count)
            (buffer.pointer + i0).update(repeating: 1, count: i1 &- i0)
        }
        let sums = UnsafeMutableBufferPointer<Double>.allocate(capacity: parts)
        defer { sums.deallocate() }
        var best = 0.0, valuesRead = 0
        for pass in 0...passes {
            let start = ContinuousClock.now
            Parallel.forEach(parts) { part in
                let (i0, i1) = Partition.range(part, of: parts, total: buffer.count)
                sums[part] = sum(buffer.pointer + i0, count: i1 &- i0)
            }
            let seconds = (ContinuousClock.now - start) / .seconds(1)
            let rate = Double(buffer.count * 4) / max(seconds, 1e-9) / 1e9
            if pass > 0, rate > best { best = rate; valuesRead = Int(sums.reduce(0, +)) }
        }
        return (best, valuesRead)
    }

    /// The sum of `count` floats, with four sixteen-lane accumulators so that the loads, not the
    /// additions, set the pace. Exact for sums of ones while each lane holds fewer than 2²⁴.
    @inline(__always)
    static func sum(_ p: UnsafePointer<Float>, count: Int) -> Double {
        let raw = UnsafeRawPointer(p)
        var s0 = SIMD16<Float>(), s1 = SIMD16<Float>(), s2 = SIMD16<Float>(), s3 = SIMD16<Float>()
        var i = 0
        while i &+ 64 <= count {
            let offset = i &* 4
            s0 += raw.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
            s1 += raw.loadUnaligned(fromByteOffset: offset &+ 64, as: SIMD16<Float>.self)
            s2 += raw.loadUnaligned(fromByteOffset: offset &+ 128, as: SIMD16<Float>.self)
            s3 += raw.loadUnaligned(fromByteOffset: offset &+ 192, as: SIMD16<Float>.self)
            i &+= 64
        }
        var total = 0.0
        for s in [s0, s1, s2, s3] {
            for lane in 0..<16 { total += Double(s[lane]) }
        }
        while i < count {
            total += Double(p[i])
            i &+= 1
        }
        return total
    }
}
