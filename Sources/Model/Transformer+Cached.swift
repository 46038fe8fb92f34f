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

        for (l, w) in layout.blocks.enumerated() {
            RMSNorm.forward(x: x.pointer, weight: weights(w.attnNorm), out: normed.pointer, rstd: nil,
                            rows: rows, dim: d, eps: c.normEps)
            linear(normed.pointer, rows: rows, inDim: d, weight: w.qkv, outDim: c.qkvDim, out: qkv.pointer)
            if let bias = w.qkvBias { addBias(bias, to: qkv.pointer, rows: rows, width: c.qkvDim) }
            storeKeysValues(qkv: qkv.pointer, rows: rows, layer: l, rowSlot: rowSlot, rowPosition: rowPosition, cache: cache)
            cachedAttention(qkv: qkv.pointer, out: attnOut.pointer, rows: rows, layer: l, rowSlot: rowSlot,
                            rowPosition: rowPosition, cache: cache)
            linear(attnOut.pointer, rows: rows, inDim: c.heads * c.headDim, weight: w.out, outDim: d, out: x.pointer,
                   accumulate: true)
            RMSNorm.forward(x: x.pointer, weight: weights(w.mlpNorm), out: normed.pointer, rstd: nil,
                            rows: rows, dim: d, eps: c.normEps)
            linear(normed.pointer, rows: rows, inDim: d, weight: w.gateUp, outDim: 2 * c.ffnDim, out: gateUp.pointer)
            SwiGLU.forward(gateUp: gateUp.pointer, out: act.pointer, rows: rows, width: c.ffnDim)
            linear(act.pointer, rows: rows, inDim: c.ffnDim, weight: w.down, outDim: d, out: x.pointer, accumulate: true)
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
        RMSNorm.forward(x: picked.pointer, weight: weights(layout.finalNorm), out: normed.pointer, rstd: nil,
                        rows: outputRows.count, dim: d, eps: c.normEps)
        var logits = [Float](repeating: 0, count: outputRows.count * c.vocabSize)
        logits.withUnsafeMutableBufferPointer {
            linear(normed.pointer, rows: outputRows.count, inDim: d, weight: layout.lmHead, outDim: c.vocabSize,
                   out: $0.baseAddress!)
        }
        return logits
    }

    /// Rotates queries and keys to their positions and writes keys and values into the cache.
    private func storeKeysValues(qkv: UnsafeMutablePointer<Float>, rows: Int, layer: Int, rowSlot: [Int],
                                 rowPosition: [Int], cache: KVCache) {
        let c = config, kvWidth = cache.kvWidth, qWidth = c.heads * c.headDim
        for r in 0..<rows {
            let row = qkv + r &* c.qkvDim
            rope.rotate(row, heads: c.heads + c.kvHeads, position: rowPosition[r])
            cache.keyRow(layer: layer, slot: rowSlot[r], position: rowPosition[r]).update(from: row + qWidth, count: kvWidth)
            cache.valueRow(layer: layer, slot: rowSlot[r], position: rowPosition[r])
                .update(from: row + (qWidth &+ kvWidth), count: kvWidth)
        }
    }

    private func positions(_ rowPosition: [Int]) -> Int { rowPosition.reduce(0) { $0 + $1 + 1 } }

    /// Each row's queries attend to its slot's cached positions `0...position`.
    private func cachedAttention(qkv: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, rows: Int, layer: Int,
                                 rowSlot: [Int], rowPosition: [Int], cache: KVCache) {
        let c = config, hd = c.headDim, group = c.heads / c.kvHeads, kvWidth = cache.kvWidth
        let scale = 1 / Float(hd).squareRoot()
        // Waking other threads costs more than a few short dot products: split only real work.
        let work = positions(rowPosition) * c.heads * hd
        let parts = work >= 1 << 17 ? min(rows * c.heads, Parallel.threadCount * 4) : 1
        rowSlot.withUnsafeBufferPointer { slots in
            rowPosition.withUnsafeBufferPointer { positions in
                Parallel.forEach(parts) { part in
                    let scores = UnsafeMutablePointer<Float>.allocate(capacity: cache.capacity)
                    defer { scores.deallocate() }
                    let (j0, j1) = Partition.range(part, of: parts, total: rows * c.heads)
                    for job in j0..<j1 {
                        let r = job / c.heads, h = job % c.heads, g = h / group
                        let q = qkv + (r &* c.qkvDim &+ h &* hd)
                        let n = positions[r] &+ 1
                        let k0 = cache.keyRow(layer: layer, slot: slots[r], position: 0) + g &* hd
                        for j in 0..<n { scores[j] = scale * Vector.dot(q, k0 + j &* kvWidth, hd) }
                        Softmax.inPlace(scores, valid: n, width: n)
                        let o = out + (r &* c.heads &* hd &+ h &* hd)
                        o.update(repeating: 0, count: hd)
                        let v0 = cache.valueRow(layer: layer, slot: slots[r], position: 0) + g &* hd
                        for j in 0..<n { Vector.axpy(scores[j], v0 + j &* kvWidth, o, hd) }
                    }
                }
            }
        }
    }
}
