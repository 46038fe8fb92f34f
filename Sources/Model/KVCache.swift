import Kernels

/// Keys and values of every layer for a fixed number of sequence slots, so generation processes
/// each new token once instead of re-reading the whole prefix.
///
/// Keys and values are held as bfloat16 (`BFloat16`): decoding a large batch reads the whole
/// cache every step, and half the bytes make that read about half as long.
///
/// Layout, per layer, slot and KV head: keys in blocks of sixteen positions, each block
/// `headDim` groups of sixteen (so the scores of sixteen positions against a query are one vector
/// operation per dimension, over one contiguous block), then the values, one row of `headDim` per
/// position in groups of sixteen.
public final class KVCache: @unchecked Sendable {
    public let slots: Int
    public let capacity: Int
    /// The capacity rounded up to a whole number of sixteen-position blocks.
    let rowLength: Int
    let kvHeads: Int
    let headDim: Int
    let kvWidth: Int
    let layerCount: Int
    /// Bytes of one position's values (`BFloat16.rowBytes(headDim)`).
    let valueRowBytes: Int
    /// Bytes of one KV head's keys, and of its values, in one slot.
    let keyHeadBytes: Int
    let valueHeadBytes: Int
    /// Bytes of one layer's keys, and of its values, over every slot.
    let keyLayerBytes: Int
    let valueLayerBytes: Int
    /// bfloat16 storage (the buffers' floats serve as pairs of halves).
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
        layerCount = config.layers
        valueRowBytes = BFloat16.rowBytes(config.headDim)
        keyHeadBytes = (rowLength >> 4) * config.headDim * 32
        valueHeadBytes = rowLength * valueRowBytes
        keyLayerBytes = slots * kvHeads * keyHeadBytes
        valueLayerBytes = slots * kvHeads * valueHeadBytes
        keys = FloatBuffer(count: config.layers * keyLayerBytes / 4)
        values = FloatBuffer(count: config.layers * valueLayerBytes / 4)
        lengths = Array(repeating: 0, count: slots)
    }

    /// Forgets a slot's contents so a new sequence can use it.
    public func reset(slot: Int) { lengths[slot] = 0 }

    /// Drops the last positions of a slot (e.g. to replace a sampled token by a forced one).
    public func truncate(slot: Int, to length: Int) { lengths[slot] = min(lengths[slot], max(0, length)) }

    /// Where the keys of one KV head start: blocks of sixteen positions, `headDim` groups each.
    @inline(__always)
    func keys(layer: Int, slot: Int, kvHead: Int) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(keys.pointer) + (layer &* keyLayerBytes &+ (slot &* kvHeads &+ kvHead) &* keyHeadBytes)
    }

    /// Where the values of one KV head start: one row of `valueRowBytes` per position.
    @inline(__always)
    func values(layer: Int, slot: Int, kvHead: Int) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(values.pointer) + (layer &* valueLayerBytes &+ (slot &* kvHeads &+ kvHead) &* valueHeadBytes)
    }

    /// Writes the keys and values (`kvHeads · headDim` each) of one position, rounded to bfloat16.
    @inline(__always)
    func store(layer: Int, slot: Int, position: Int, keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>) {
        let block = (position >> 4) &* headDim &* 32, lane = position & 15
        for g in 0..<kvHeads {
            let blockStart = keys(layer: layer, slot: slot, kvHead: g) + block
            for d in 0..<headDim { BFloat16.store(k[g &* headDim &+ d], at: blockStart + d &* 32, value: lane) }
            let row = values(layer: layer, slot: slot, kvHead: g) + position &* valueRowBytes
            for d in 0..<headDim { BFloat16.store(v[g &* headDim &+ d], at: row + (d >> 4) &* 32, value: d & 15) }
        }
    }

    func advance(slot: Int, by count: Int) { lengths[slot] += count }

    /// Makes slot `target` hold what slot `source` holds (a sequence forked at its current
    /// length): the filled positions of every layer and KV head are copied.
    public func copy(slot source: Int, to target: Int) {
        let length = lengths[source]
        let keyBytes = ((length + 15) >> 4) &* headDim &* 32, valueBytes = length &* valueRowBytes
        for layer in 0..<layerCount {
            for g in 0..<kvHeads {
                keys(layer: layer, slot: target, kvHead: g)
                    .copyMemory(from: keys(layer: layer, slot: source, kvHead: g), byteCount: keyBytes)
                values(layer: layer, slot: target, kvHead: g)
                    .copyMemory(from: values(layer: layer, slot: source, kvHead: g), byteCount: valueBytes)
            }
        }
        lengths[target] = length
    }

    /// The packed weights of `model` for this cache, packed on first use; nil for a model too large
    /// to pack, and for one whose matrices are held in bfloat16 (their float32 values are gone).
    func packed(_ model: Transformer) -> PackedWeights? {
        if packedWeights == nil && model.bfloat16 == nil && model.config.parameterCount <= PackedWeights.limit {
            packedWeights = PackedWeights(model)
        }
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
