import Kernels

extension Transformer {
    /// Appends each segment's tokens to its cache slot and returns next-token logits: one row per
    /// segment (its last token), or one row per token when `allPositions` is set.
    ///
    /// Prefill (a long segment) and decoding (one token for many slots) are the same call, and both
    /// can be mixed in one batch; the projections run as one matrix multiply over all rows.
    public func forwardCached(_ segments: [CacheSegment], cache: KVCache, allPositions: Bool = false) throws(ModelError) -> [Float] {
        let c = config, d = c.dim
        var rowSlot: [Int] = [], rowPosition: [Int] = [], tokens: [Int32] = []
        var seen = Set<Int>()
        for s in segments {
            guard s.slot >= 0 && s.slot < cache.slots else { throw .invalidInput("cache slot \(s.slot) does not exist") }
            guard seen.insert(s.slot).inserted else { throw .invalidInput("cache slot \(s.slot) appears twice in one call") }
            guard !s.tokens.isEmpty else { throw .invalidInput("empty segment for cache slot \(s.slot)") }
            let start = cache.lengths[s.slot]
            guard start + s.tokens.count <= cache.capacity else {
                throw .invalidInput("slot \(s.slot) would hold \(start + s.tokens.count) tokens; the cache holds \(cache.capacity)")
            }
            for (i, t) in s.tokens.enumerated() {
                rowSlot.append(s.slot)
                rowPosition.append(start + i)
                tokens.append(t)
            }
        }
        try checkTokens(tokens)
        let rows = tokens.count
        let x = FloatBuffer(count: rows * d), normed = FloatBuffer(count: rows * d)
        let qkv = FloatBuffer(count: rows * c.qkvDim), attnOut = FloatBuffer(count: rows * c.heads * c.headDim)
        let gateUp = FloatBuffer(count: rows * 2 * c.ffnDim), act = FloatBuffer(count: rows * c.ffnDim)
        tokens.withUnsafeBufferPointer { embed($0.baseAddress!, count: rows, into: x.pointer) }
        let packed = cache.packed(self)

        for (l, w) in layout.blocks.enumerated() {
            Profile.measure(.norms) { RMSNorm.forward(x: x.pointer, weight: weights(w.attnNorm), out: normed.pointer, rstd: nil,
                            rows: rows, dim: d, eps: c.normEps) }
            linearRows(normed.pointer, rows: rows, inDim: d, weight: w.qkv, packed: packed?.qkv[l], bfloat16: bfloat16?.qkv[l],
                       outDim: c.qkvDim, out: qkv.pointer)
            if let bias = w.qkvBias { addBias(bias, to: qkv.pointer, rows: rows, width: c.qkvDim) }
            if let norm = w.qkNorm {
                Profile.measure(.norms) {
                    HeadNorm.forward(qkv: qkv.pointer, stride: c.qkvDim, rows: rows, heads: c.heads, kvHeads: c.kvHeads,
                                     headDim: c.headDim, qWeight: weights(norm), kWeight: weights(norm) + c.headDim, eps: c.normEps)
                }
            }
            Profile.measure(.elementwise) {
                storeKeysValues(qkv: qkv.pointer, rows: rows, layer: l, rowSlot: rowSlot, rowPosition: rowPosition, cache: cache)
            }
            Profile.measure(.attention) {
                cachedAttention(qkv: qkv.pointer, out: attnOut.pointer, rows: rows, layer: l, rowSlot: rowSlot,
                                rowPosition: rowPosition, cache: cache)
            }
            linearRows(attnOut.pointer, rows: rows, inDim: c.heads * c.headDim, weight: w.out, packed: packed?.out[l],
                       bfloat16: bfloat16?.out[l], outDim: d, out: x.pointer, accumulate: true)
            Profile.measure(.norms) { RMSNorm.forward(x: x.pointer, weight: weights(w.mlpNorm), out: normed.pointer, rstd: nil,
                            rows: rows, dim: d, eps: c.normEps) }
            linearRows(normed.pointer, rows: rows, inDim: d, weight: w.gateUp, packed: packed?.gateUp[l], bfloat16: bfloat16?.gateUp[l],
                       outDim: 2 * c.ffnDim, out: gateUp.pointer)
            Profile.measure(.elementwise) { SwiGLU.forward(gateUp: gateUp.pointer, out: act.pointer, rows: rows, width: c.ffnDim) }
            linearRows(act.pointer, rows: rows, inDim: c.ffnDim, weight: w.down, packed: packed?.down[l], bfloat16: bfloat16?.down[l],
                       outDim: d, out: x.pointer, accumulate: true)
        }
        for s in segments { cache.advance(slot: s.slot, by: s.tokens.count) }

        // Final norm and LM head on the rows that are asked for.
        var outputRows: [Int] = []
        if allPositions {
            outputRows = Array(0..<rows)
        } else {
            var end = 0
            for s in segments { end += s.tokens.count; outputRows.append(end - 1) }
        }
        let picked = FloatBuffer(count: outputRows.count * d)
        for (i, r) in outputRows.enumerated() { (picked.pointer + i * d).update(from: x.pointer + r * d, count: d) }
        Profile.measure(.norms) { RMSNorm.forward(x: picked.pointer, weight: weights(layout.finalNorm), out: normed.pointer, rstd: nil,
                        rows: outputRows.count, dim: d, eps: c.normEps) }
        var logits = [Float](repeating: 0, count: outputRows.count * c.vocabSize)
        logits.withUnsafeMutableBufferPointer {
            linearRows(normed.pointer, rows: outputRows.count, inDim: d, weight: layout.lmHead, packed: packed?.lmHead,
                       bfloat16: bfloat16?.lmHead, outDim: c.vocabSize, out: $0.baseAddress!)
        }
        return logits
    }

    /// `out[rows × n] (+)= x[rows × k] · W[n × k]ᵀ` with an inference product (the packed weights'
    /// when the model was packed, the bfloat16 ones when it holds them, else `DotGemm`), whose every
    /// row comes out the same whatever else is in the batch.
    @inline(__always)
    func linearRows(_ x: UnsafePointer<Float>, rows: Int, inDim: Int, weight: Int, packed: PackedMatrix?, bfloat16: BFloat16Matrix?,
                    outDim: Int, out: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        if let bfloat16 {
            DotGemm.multiply(m: rows, a: x, lda: inDim, bfloat16: bfloat16, roundingActivations: self.bfloat16?.roundsActivations ?? false,
                             c: out, ldc: outDim, accumulate: accumulate)
        } else if let packed {
            Gemm.multiply(m: rows, a: x, lda: inDim, packed: packed, c: out, ldc: outDim, accumulate: accumulate)
        } else {
            DotGemm.multiply(m: rows, n: outDim, k: inDim, a: x, lda: inDim, b: weights(weight), ldb: inDim, c: out, ldc: outDim,
                             accumulate: accumulate)
        }
    }

    /// Rotates queries and keys to their positions and writes keys and values into the cache,
    /// the rows split over the threads when there are enough of them (each position is written
    /// by one thread).
    private func storeKeysValues(qkv: UnsafeMutablePointer<Float>, rows: Int, layer: Int, rowSlot: [Int],
                                 rowPosition: [Int], cache: KVCache) {
        let c = config, kvWidth = cache.kvWidth, qWidth = c.heads * c.headDim
        let parts = rows >= 16 ? min(rows, Parallel.threadCount) : 1
        rowSlot.withUnsafeBufferPointer { slots in
            rowPosition.withUnsafeBufferPointer { positions in
                Parallel.forEach(parts) { part in
                    let (r0, r1) = Partition.range(part, of: parts, total: rows)
                    for r in r0..<r1 {
                        let row = qkv + r &* c.qkvDim
                        rope.rotate(row, heads: c.heads + c.kvHeads, position: positions[r])
                        cache.store(layer: layer, slot: slots[r], position: positions[r], keys: row + qWidth,
                                    values: row + (qWidth &+ kvWidth))
                    }
                }
            }
        }
    }

    private func positions(_ rowPosition: [Int]) -> Int { rowPosition.reduce(0) { $0 + $1 + 1 } }

    /// Each row's queries attend to its slot's cached positions `0...position`, one job per row
    /// and KV head (the query heads that share it together).
    private func cachedAttention(qkv: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, rows: Int, layer: Int,
                                 rowSlot: [Int], rowPosition: [Int], cache: KVCache) {
        let c = config, hd = c.headDim, group = c.heads / c.kvHeads
        let scale = 1 / Float(hd).squareRoot()
        let jobs = rows * c.kvHeads
        // Waking other threads costs more than a few short dot products: split only real work.
        let work = positions(rowPosition) * c.heads * hd
        let parts = work >= 1 << 15 ? min(jobs, Parallel.threadCount * 4) : 1
        rowSlot.withUnsafeBufferPointer { slots in
            rowPosition.withUnsafeBufferPointer { positions in
                Parallel.forEach(parts) { part in
                    let scores = UnsafeMutablePointer<Float>.allocate(capacity: group * cache.rowLength)
                    defer { scores.deallocate() }
                    let (j0, j1) = Partition.range(part, of: parts, total: jobs)
                    for job in j0..<j1 {
                        let r = job / c.kvHeads, g = job % c.kvHeads
                        if job &+ 1 < j1 {
                            let next = (job &+ 1) / c.kvHeads, nextHead = (job &+ 1) % c.kvHeads
                            CachedAttention.prefetch(keys: cache.keys(layer: layer, slot: slots[next], kvHead: nextHead),
                                                     values: cache.values(layer: layer, slot: slots[next], kvHead: nextHead),
                                                     headDim: hd, count: positions[next] &+ 1)
                        }
                        CachedAttention.attend(queries: qkv + (r &* c.qkvDim &+ g &* group &* hd), group: group, headDim: hd,
                                               scale: scale, keys: cache.keys(layer: layer, slot: slots[r], kvHead: g),
                                               keyRowLength: cache.rowLength,
                                               values: cache.values(layer: layer, slot: slots[r], kvHead: g),
                                               count: positions[r] &+ 1, scores: scores,
                                               out: out + (r &* c.heads &* hd &+ g &* group &* hd))
                    }
                }
            }
        }
    }
}
