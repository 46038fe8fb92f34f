import Kernels

/// Keys and values of every layer for a fixed number of sequence slots, so generation processes
/// each new token once instead of re-reading the whole prefix.
///
/// Layout, per layer, slot and KV head: keys in blocks of sixteen positions, each block
/// `headDim × 16` (so the scores of sixteen positions against a query are one vector operation
/// per dimension, over one contiguous block), then the values, one row of `headDim` per position.
public final class KVCache: @unchecked Sendable {
    public let slots: Int
    public let capacity: Int
    /// The capacity rounded up to a whole number of sixteen-position blocks.
    let rowLength: Int
    let kvHeads: Int
    let headDim: Int
    let kvWidth: Int
    let layerStride: Int
    let layerCount: Int
    /// Floats of one KV head's keys (or values) in one slot.
    let headStride: Int
    let keys: FloatBuffer
    let values: FloatBuffer
    /// How many positions of each slot are filled.
    public private(set) var lengths: [Int]
    /// The model's weights packed for this batch's decoding, made on its first step: the weights
    /// must not change while a cache is in use (a trainer makes a new engine after each update).
    var packedWeights: PackedWeights?

    public init(config: ModelConfig, slots: Int, capacity: Int? = nil) {
        self.slots = slots
        self.capacity = min(capacity ?? config.contextLength, config.contextLength)
        rowLength = (self.capacity + 15) & ~15
        kvHeads = config.kvHeads
        headDim = config.headDim
        kvWidth = config.kvHeads * config.headDim
        layerStride = slots * rowLength * kvWidth
        layerCount = config.layers
        headStride = rowLength * config.headDim
        keys = FloatBuffer(count: config.layers * layerStride)
        values = FloatBuffer(count: config.layers * layerStride)
        lengths = Array(repeating: 0, count: slots)
    }

    /// Forgets a slot's contents so a new sequence can use it.
    public func reset(slot: Int) { lengths[slot] = 0 }

    /// Drops the last positions of a slot (e.g. to replace a sampled token by a forced one).
    public func truncate(slot: Int, to length: Int) { lengths[slot] = min(lengths[slot], max(0, length)) }

    /// Where the keys of one KV head start: blocks of `headDim × 16` floats, sixteen positions each.
    @inline(__always)
    func keys(layer: Int, slot: Int, kvHead: Int) -> UnsafeMutablePointer<Float> {
        keys.pointer + (layer &* layerStride &+ (slot &* kvHeads &+ kvHead) &* headStride)
    }

    /// Where the values of one KV head start: one row of `headDim` per position.
    @inline(__always)
    func values(layer: Int, slot: Int, kvHead: Int) -> UnsafeMutablePointer<Float> {
        values.pointer + (layer &* layerStride &+ (slot &* kvHeads &+ kvHead) &* headStride)
    }

    /// Writes the keys and values (`kvHeads · headDim` each) of one position.
    @inline(__always)
    func store(layer: Int, slot: Int, position: Int, keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>) {
        let block = (position >> 4) &* headDim &* 16, lane = position & 15
        for g in 0..<kvHeads {
            let column = keys(layer: layer, slot: slot, kvHead: g) + (block &+ lane)
            for d in 0..<headDim { column[d &* 16] = k[g &* headDim &+ d] }
            (values(layer: layer, slot: slot, kvHead: g) + position &* headDim).update(from: v + g &* headDim, count: headDim)
        }
    }

    func advance(slot: Int, by count: Int) { lengths[slot] += count }

    /// Makes slot `target` hold what slot `source` holds (a sequence forked at its current
    /// length): the filled positions of every layer and KV head are copied.
    public func copy(slot source: Int, to target: Int) {
        let length = lengths[source]
        let keyFloats = ((length + 15) >> 4) &* headDim &* 16, valueFloats = length &* headDim
        for layer in 0..<layerCount {
            for g in 0..<kvHeads {
                keys(layer: layer, slot: target, kvHead: g).update(from: keys(layer: layer, slot: source, kvHead: g), count: keyFloats)
                values(layer: layer, slot: target, kvHead: g).update(from: values(layer: layer, slot: source, kvHead: g), count: valueFloats)
            }
        }
        lengths[target] = length
    }

    /// The packed weights of `model` for this cache, packed on first use; nil for a model too large to pack.
    func packed(_ model: Transformer) -> PackedWeights? {
        if packedWeights == nil && model.config.parameterCount <= PackedWeights.limit { packedWeights = PackedWeights(model) }
        return packedWeights
    }
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
