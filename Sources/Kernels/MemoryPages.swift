import Foundation

/// Memory handed back to the system a page at a time.
public enum MemoryPages {
    public static let size = Int(getpagesize())

    /// Hands back the whole pages between `start` and `end` (a partial page at either end is kept:
    /// other data lives there). They leave the resident memory; touched again, anonymous memory
    /// reads as zeros and a file mapping as the file.
    public static func release(from start: UnsafeRawPointer, to end: UnsafeRawPointer) {
        let first = (Int(bitPattern: start) + size - 1) / size * size, last = Int(bitPattern: end) / size * size
        if last > first { _ = madvise(UnsafeMutableRawPointer(bitPattern: first), last - first, MADV_DONTNEED) }
    }
}
