import Kernels

/// What one training forward (and backward) pass over a batch produced.
public struct BatchResult: Sendable {
    /// `Σ weight · −log p(target)` over the batch.
    public let loss: Double
    /// `log p(target)` at every position (batchSize × length), for RL ratios and evaluation.
    public let targetLogProbs: [Float]
}

extension Transformer {
    /// Runs the full forward pass over `batch` and, when `computeGradients` is set, the explicit
    /// backward pass, adding the loss gradient into `gradients` (the caller zeroes them per step).
    @discardableResult
    public func forwardBackward(_ batch: TokenBatch, computeGradients: Bool = true) throws(ModelError) -> BatchResult {
        try requireFloat32Weights(to: "run the training forward pass")
        guard batch.length <= config.contextLength else {
            throw .invalidInput("sequence length \(batch.length) exceeds the context length \(config.contextLength)")
        }
        try checkTokens(batch.inputs)
        try checkTokens(batch.targets)
        if activations == nil || !activations!.fits(batchSize: batch.batchSize, length: batch.length) {
            activations = nil
            activations = TrainingActivations(config: config, batchSize: batch.batchSize, length: batch.length)
        }
        let act = activations!
        act.batchSize = batch.batchSize
        act.length = batch.length
        let loss = batch.inputs.withUnsafeBufferPointer { inputs in
            batch.targets.withUnsafeBufferPointer { targets in
                batch.weights.withUnsafeBufferPointer { weights in
                    forward(inputs.baseAddress!, act)
                    return Profile.measure(.elementwise) { CrossEntropy.forwardBackward(
                        logits: act.logits.pointer, targets: targets.baseAddress!, weights: weights.baseAddress!,
                        rows: batch.batchSize * batch.length, vocab: config.vocabSize,
                        dlogits: computeGradients ? act.dLogits.pointer : nil, targetLogProbs: act.targetLogProbs.pointer) }
                }
            }
        }
        if computeGradients {
            batch.inputs.withUnsafeBufferPointer { backward($0.baseAddress!, act) }
        }
        return BatchResult(loss: loss, targetLogProbs: Array(act.targetLogProbs.buffer.prefix(batch.inputs.count)))
    }

    private func attention(_ act: TrainingActivations) -> CausalAttention {
        CausalAttention(batchSize: act.batchSize, length: act.length, heads: config.heads,
                        kvHeads: config.kvHeads, headDim: config.headDim)
    }

    private func forward(_ inputs: UnsafePointer<Int32>, _ act: TrainingActivations) {
        let c = config, rows = act.batchSize * act.length, d = c.dim, T = act.length
        let attnWidth = c.heads * c.headDim
        embed(inputs, count: rows, into: act.residual[0].pointer)
        for (l, w) in layout.blocks.enumerated() {
            let a = act.blocks[l], x = act.residual[l].pointer
            Profile.measure(.norms) { RMSNorm.forward(x: x, weight: weights(w.attnNorm), out: a.normedAttn.pointer, rstd: a.rstdAttn.pointer,
                            rows: rows, dim: d, eps: c.normEps) }
            linear(a.normedAttn.pointer, rows: rows, inDim: d, weight: w.qkv, outDim: c.qkvDim, out: a.qkv.pointer)
            let qkv = a.qkv.pointer, stride = c.qkvDim, ropeHeads = c.heads + c.kvHeads
            if let bias = w.qkvBias { addBias(bias, to: qkv, rows: rows, width: stride) }
            if let norm = w.qkNorm {
                Profile.measure(.norms) {
                    HeadNorm.forward(qkv: qkv, stride: stride, rows: rows, heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim,
                                     qWeight: weights(norm), kWeight: weights(norm) + c.headDim, eps: c.normEps,
                                     saved: a.qkSaved!.pointer, rstd: a.qkRstd!.pointer)
                }
            }
            Profile.measure(.elementwise) {
                Parallel.forEach(Parallel.threadCount) { part in
                    let (r0, r1) = Partition.range(part, of: Parallel.threadCount, total: rows)
                    for r in r0..<r1 { rope.rotate(qkv + r &* stride, heads: ropeHeads, position: r % T) }
                }
            }
            Profile.measure(.attention) { attention(act).forward(qkv: qkv, keep: a.probs?.pointer, out: a.attnOut.pointer) }
            a.mid.pointer.update(from: x, count: rows * d)
            linear(a.attnOut.pointer, rows: rows, inDim: attnWidth, weight: w.out, outDim: d, out: a.mid.pointer,
                   accumulate: true)
            Profile.measure(.norms) { RMSNorm.forward(x: a.mid.pointer, weight: weights(w.mlpNorm), out: a.normedMLP.pointer,
                            rstd: a.rstdMLP.pointer, rows: rows, dim: d, eps: c.normEps) }
            linear(a.normedMLP.pointer, rows: rows, inDim: d, weight: w.gateUp, outDim: 2 * c.ffnDim, out: a.gateUp.pointer)
            Profile.measure(.elementwise) { SwiGLU.forward(gateUp: a.gateUp.pointer, out: a.act.pointer, rows: rows, width: c.ffnDim) }
            act.residual[l + 1].pointer.update(from: a.mid.pointer, count: rows * d)
            linear(a.act.pointer, rows: rows, inDim: c.ffnDim, weight: w.down, outDim: d,
                   out: act.residual[l + 1].pointer, accumulate: true)
        }
        Profile.measure(.norms) { RMSNorm.forward(x: act.residual[c.layers].pointer, weight: weights(layout.finalNorm),
                        out: act.normedFinal.pointer, rstd: act.rstdFinal.pointer, rows: rows, dim: d, eps: c.normEps) }
        linear(act.normedFinal.pointer, rows: rows, inDim: d, weight: layout.lmHead, outDim: c.vocabSize,
               out: act.logits.pointer)
    }

    /// `dX[rows × inDim] = dY · W` and `dW += dYᵀ · X` for a linear layer `Y = X · Wᵀ`.
    private func linearBackward(dOut: UnsafePointer<Float>, input: UnsafePointer<Float>, rows: Int, inDim: Int,
                                outDim: Int, weight: Int, dInput: UnsafeMutablePointer<Float>) {
        Gemm.multiply(m: rows, n: inDim, k: outDim, a: dOut, lda: outDim, b: weights(weight), ldb: inDim,
                      c: dInput, ldc: inDim, precision: matmulPrecision)
        Gemm.multiply(m: outDim, n: inDim, k: rows, a: dOut, lda: outDim, transposeA: true, b: input, ldb: inDim,
                      c: grads(weight), ldc: inDim, accumulate: true, precision: matmulPrecision)
    }

    private func backward(_ inputs: UnsafePointer<Int32>, _ act: TrainingActivations) {
        let c = config, rows = act.batchSize * act.length, d = c.dim, T = act.length
        let attnWidth = c.heads * c.headDim
        let dRes = act.dResidual.pointer, dNormed = act.dNormed.pointer
        linearBackward(dOut: act.dLogits.pointer, input: act.normedFinal.pointer, rows: rows, inDim: d,
                       outDim: c.vocabSize, weight: layout.lmHead, dInput: dNormed)
        dRes.update(repeating: 0, count: rows * d)
        Profile.measure(.norms) { RMSNorm.backward(dout: dNormed, x: act.residual[c.layers].pointer, weight: weights(layout.finalNorm),
                         rstd: act.rstdFinal.pointer, dx: dRes, dweight: grads(layout.finalNorm), rows: rows, dim: d) }
        for (l, w) in layout.blocks.enumerated().reversed() {
            let a = act.blocks[l]
            // MLP: out = mid + act · Wdownᵀ
            linearBackward(dOut: dRes, input: a.act.pointer, rows: rows, inDim: c.ffnDim, outDim: d, weight: w.down,
                           dInput: act.dAct.pointer)
            Profile.measure(.elementwise) { SwiGLU.backward(dout: act.dAct.pointer, gateUp: a.gateUp.pointer, dGateUp: act.dGateUp.pointer,
                            rows: rows, width: c.ffnDim) }
            linearBackward(dOut: act.dGateUp.pointer, input: a.normedMLP.pointer, rows: rows, inDim: d,
                           outDim: 2 * c.ffnDim, weight: w.gateUp, dInput: dNormed)
            Profile.measure(.norms) { RMSNorm.backward(dout: dNormed, x: a.mid.pointer, weight: weights(w.mlpNorm), rstd: a.rstdMLP.pointer,
                             dx: dRes, dweight: grads(w.mlpNorm), rows: rows, dim: d) }
            // Attention: mid = x + attnOut · Woᵀ
            linearBackward(dOut: dRes, input: a.attnOut.pointer, rows: rows, inDim: attnWidth, outDim: d,
                           weight: w.out, dInput: act.dAttnOut.pointer)
            Profile.measure(.attention) { attention(act).backward(qkv: a.qkv.pointer, probs: a.probs?.pointer, dOut: act.dAttnOut.pointer,
                                                                           dqkv: act.dQKV.pointer) }
            let dqkv = act.dQKV.pointer, stride = c.qkvDim, ropeHeads = c.heads + c.kvHeads
            Profile.measure(.elementwise) {
                Parallel.forEach(Parallel.threadCount) { part in
                    let (r0, r1) = Partition.range(part, of: Parallel.threadCount, total: rows)
                    for r in r0..<r1 { rope.rotate(dqkv + r &* stride, heads: ropeHeads, position: r % T, inverse: true) }
                }
            }
            if let norm = w.qkNorm {
                Profile.measure(.norms) {
                    HeadNorm.backward(dqkv: dqkv, stride: stride, rows: rows, heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim,
                                      saved: a.qkSaved!.pointer, rstd: a.qkRstd!.pointer, qWeight: weights(norm),
                                      kWeight: weights(norm) + c.headDim, dqWeight: grads(norm), dkWeight: grads(norm) + c.headDim)
                }
            }
            if let bias = w.qkvBias {
                let dBias = grads(bias)
                for r in 0..<rows { Vector.add(dqkv + r &* stride, into: dBias, stride) }
            }
            linearBackward(dOut: dqkv, input: a.normedAttn.pointer, rows: rows, inDim: d, outDim: c.qkvDim,
                           weight: w.qkv, dInput: dNormed)
            Profile.measure(.norms) { RMSNorm.backward(dout: dNormed, x: act.residual[l].pointer, weight: weights(w.attnNorm),
                             rstd: a.rstdAttn.pointer, dx: dRes, dweight: grads(w.attnNorm), rows: rows, dim: d) }
        }
        let dEmbed = grads(layout.embedding)
        for r in 0..<rows { Vector.add(dRes + r &* d, into: dEmbed + Int(inputs[r]) &* d, d) }
    }
}
