/// Splits `total` items into `parts` contiguous, nearly equal ranges.
public enum Partition {
    @inlinable @inline(__always)
    public static func range(_ part: Int, of parts: Int, total: Int) -> (Int, Int) {
        (total &* part / parts, total &* (part &+ 1) / parts)
    }
}
