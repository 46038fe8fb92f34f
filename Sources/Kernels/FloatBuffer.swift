import Foundation

/// A fixed-size, 64-byte aligned, zero-initialised block of `Float`s that owns its memory.
///
/// Parameters, gradients, optimizer moments and activations each live in one such buffer; layers
/// read and write named ranges of it through raw pointers hoisted out of their loops. The zeros
/// come from `calloc`, which maps a large block to pages the system zeroes when they are first
/// touched: a buffer that is never written (the gradients of a model that only generates, the
/// unused length of a KV cache) takes no memory.
public final class FloatBuffer: @unchecked Sendable {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>
    private let block: UnsafeMutableRawPointer

    public init(count: Int) {
        precondition(count >= 0, "FloatBuffer count must be non-negative")
        self.count = count
        guard let block = calloc(max(count, 1) * 4 + 64, 1) else {
            fatalError("out of memory: a buffer of \(count) floats (\(count * 4) bytes) could not be allocated")
        }
        self.block = block
        let aligned = (Int(bitPattern: block) + 63) & ~63
        pointer = UnsafeMutableRawPointer(bitPattern: aligned)!.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    deinit { free(block) }

    /// Hands the whole pages inside `range` (counted in floats) back to the system: they take no
    /// memory and read as zeros afterwards. For values that now live elsewhere.
    public func release(_ range: Range<Int>) {
        MemoryPages.release(from: pointer + range.lowerBound, to: pointer + range.upperBound)
    }

    /// The buffer as a typed view (for code outside hot loops).
    public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }

    public func zero() { pointer.update(repeating: 0, count: count) }

    public func copy(from other: FloatBuffer) {
        precondition(other.count == count, "FloatBuffer.copy: sizes differ (\(other.count) vs \(count))")
        pointer.update(from: other.pointer, count: count)
    }

    public subscript(i: Int) -> Float {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    public var array: [Float] { Array(buffer) }
}
