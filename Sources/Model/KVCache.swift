import Kernels

/// Keys and values of every layer for a fixed number of sequence slots, so generation processes
/// each new token once instead of re-reading the whole prefix.
///
/// Layout: `[layer][slot][position][kvHeads · headDim]`, one buffer for keys and one for values.
public final class KVCache: @unchecked Sendable {
    public let slots: Int
    public let capacity: Int
    let kvWidth: Int
    let layerStride: Int
    let keys: FloatBuffer
    let values: FloatBuffer
    /// How many positions of each slot are filled.
    public private(set) var lengths: [Int]

    public init(config: ModelConfig, slots: Int, capacity: Int? = nil) {
        self.slots = slots
        self.capacity = min(capacity ?? config.contextLength, config.contextLength)
        kvWidth = config.kvHeads * config.headDim
        layerStride = slots * self.capacity * kvWidth
        keys = FloatBuffer(count: config.layers * layerStride)
        values = FloatBuffer(count: config.layers * layerStride)
        lengths = Array(repeating: 0, count: slots)
    }

    /// Forgets a slot's contents so a new sequence can use it.
    public func reset(slot: Int) { lengths[slot] = 0 }

    /// Drops the last positions of a slot (e.g. to replace a sampled token by a forced one).
    public func truncate(slot: Int, to length: Int) { lengths[slot] = min(lengths[slot], max(0, length)) }

    @inline(__always)
    func keyRow(layer: Int, slot: Int, position: Int) -> UnsafeMutablePointer<Float> {
        keys.pointer + (layer &* layerStride &+ (slot &* capacity &+ position) &* kvWidth)
    }

    @inline(__always)
    func valueRow(layer: Int, slot: Int, position: Int) -> UnsafeMutablePointer<Float> {
        values.pointer + (layer &* layerStride &+ (slot &* capacity &+ position) &* kvWidth)
    }

    func advance(slot: Int, by count: Int) { lengths[slot] += count }
}

/// Tokens to append to one cache slot in a cached forward pass.
public struct CacheSegment: Sendable {
    public let slot: Int
    public let tokens: [Int32]
    public init(slot: Int, tokens: [Int32]) {
        self.slot = slot
        self.tokens = tokens
    }
}
