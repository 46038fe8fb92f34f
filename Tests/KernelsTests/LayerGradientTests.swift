import Foundation
import Testing
import Kernels

/// Finite-difference checks of each elementwise layer's backward pass, in Double-precision
/// differences of a random linear functional of the output (tolerance 1e-2 relative: float32
/// forward passes with step 1e-3 leave about 1e-4 of noise).
@Suite struct LayerGradientTests {
    static func random(_ n: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var rng = SeededRNG(seed: seed)
        return (0..<n).map { _ in scale * rng.nextNormal() }
    }

    /// `Σ probe · f(x)` and its numerical derivative with respect to `x[i]`.
    static func numericGradient(_ x: [Float], _ i: Int, _ f: ([Float]) -> Double) -> Double {
        let step: Float = 1e-3
        var up = x, down = x
        up[i] += step
        down[i] -= step
        return (f(up) - f(down)) / Double(2 * step)
    }

    static func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-2 * max(abs(a), abs(b), 0.05) }

    @Test func rmsNormBackward() {
        let rows = 3, dim = 10
        let x = Self.random(rows * dim, seed: 1), w = Self.random(dim, seed: 2), probe = Self.random(rows * dim, seed: 3)
        func loss(_ x: [Float], _ w: [Float]) -> Double {
            var y = [Float](repeating: 0, count: rows * dim)
            RMSNorm.forward(x: x, weight: w, out: &y, rstd: nil, rows: rows, dim: dim, eps: 1e-5)
            return zip(y, probe).reduce(0) { $0 + Double($1.0 * $1.1) }
        }
        var y = [Float](repeating: 0, count: rows * dim), rstd = [Float](repeating: 0, count: rows)
        RMSNorm.forward(x: x, weight: w, out: &y, rstd: &rstd, rows: rows, dim: dim, eps: 1e-5)
        var dx = [Float](repeating: 0, count: rows * dim), dw = [Float](repeating: 0, count: dim)
        RMSNorm.backward(dout: probe, x: x, weight: w, rstd: rstd, dx: &dx, dweight: &dw, rows: rows, dim: dim)
        for i in 0..<(rows * dim) {
            #expect(Self.close(Double(dx[i]), Self.numericGradient(x, i) { loss($0, w) }), "dx[\(i)]")
        }
        for i in 0..<dim {
            #expect(Self.close(Double(dw[i]), Self.numericGradient(w, i) { loss(x, $0) }), "dw[\(i)]")
        }
    }

    @Test func swigluBackward() {
        let rows = 2, width = 11
        let gu = Self.random(rows * 2 * width, seed: 4, scale: 2), probe = Self.random(rows * width, seed: 5)
        func loss(_ gu: [Float]) -> Double {
            var out = [Float](repeating: 0, count: rows * width)
            SwiGLU.forward(gateUp: gu, out: &out, rows: rows, width: width)
            return zip(out, probe).reduce(0) { $0 + Double($1.0 * $1.1) }
        }
        var dgu = [Float](repeating: 0, count: gu.count)
        SwiGLU.backward(dout: probe, gateUp: gu, dGateUp: &dgu, rows: rows, width: width)
        for i in 0..<gu.count { #expect(Self.close(Double(dgu[i]), Self.numericGradient(gu, i, loss)), "d[\(i)]") }
    }

    @Test func crossEntropyBackward() {
        let rows = 3, vocab = 13
        let logits = Self.random(rows * vocab, seed: 6, scale: 3)
        let targets: [Int32] = [2, 12, 0], weights: [Float] = [0.5, 0, 2]
        func loss(_ l: [Float]) -> Double {
            CrossEntropy.forwardBackward(logits: l, targets: targets, weights: weights, rows: rows, vocab: vocab,
                                         dlogits: nil, targetLogProbs: nil)
        }
        var d = [Float](repeating: 0, count: logits.count), logp = [Float](repeating: 0, count: rows)
        let value = CrossEntropy.forwardBackward(logits: logits, targets: targets, weights: weights, rows: rows,
                                                 vocab: vocab, dlogits: &d, targetLogProbs: &logp)
        // The loss is the weighted negative log-likelihood of the targets.
        var expected: Double = 0
        for r in 0..<rows {
            let row = logits[(r * vocab)..<((r + 1) * vocab)].map(Double.init)
            let m = row.max()!
            let lse = m + Foundation.log(row.reduce(0) { $0 + Foundation.exp($1 - m) })
            #expect(abs(Double(logp[r]) - (row[Int(targets[r])] - lse)) < 1e-5)
            expected += Double(weights[r]) * (lse - row[Int(targets[r])])
        }
        #expect(abs(value - expected) < 1e-4)
        for i in 0..<logits.count { #expect(Self.close(Double(d[i]), Self.numericGradient(logits, i, loss)), "d[\(i)]") }
    }

    @Test func ropeInverseUndoesRotationAndPreservesNorm() {
        let table = RopeTable(headDim: 8, maxPositions: 32, theta: 10_000)
        let original = Self.random(24, seed: 7)
        var x = original
        x.withUnsafeMutableBufferPointer { table.rotate($0.baseAddress!, heads: 3, position: 17) }
        let norm = { (v: [Float]) in v.reduce(0) { $0 + $1 * $1 } }
        #expect(abs(norm(x) - norm(original)) < 1e-4)
        #expect(zip(x, original).contains { abs($0 - $1) > 1e-3 })
        x.withUnsafeMutableBufferPointer { table.rotate($0.baseAddress!, heads: 3, position: 17, inverse: true) }
        for (a, b) in zip(x, original) { #expect(abs(a - b) < 1e-5) }
        // Position 0 is the identity.
        var y = original
        y.withUnsafeMutableBufferPointer { table.rotate($0.baseAddress!, heads: 3, position: 0) }
        #expect(y == original)
    }

    /// Llama 3's scaling keeps short wavelengths, divides long ones by the factor and blends those
    /// between; the table's rotation angles follow the scaled frequencies.
    @Test func llama3RopeScalingFollowsItsThreeBands() {
        let s = Llama3RopeScaling(factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 64)
        let short = 2 * Double.pi / 8, long = 2 * Double.pi / 100, between = 2 * Double.pi / 32
        #expect(s.scale(short) == short, "wavelength 8 < 64/4: kept")
        #expect(abs(s.scale(long) - long / 8) < 1e-15, "wavelength 100 > 64/1: divided by the factor")
        let smooth = (64.0 / 32 - 1) / (4 - 1)
        #expect(abs(s.scale(between) - ((1 - smooth) * between / 8 + smooth * between)) < 1e-15)
        let table = RopeTable(headDim: 16, maxPositions: 8, theta: 10_000, scaling: s)
        for i in 0..<8 {
            let frequency = s.scale(pow(10_000, -Double(2 * i) / 16))
            #expect(abs(Double(table.table[5 * 8 + i]) - cos(5 * frequency)) < 1e-6, "pair \(i)")
        }
    }

    @Test func fastExpMatchesLibm() {
        var worst: Double = 0
        for i in -2000...2000 {
            let x = Float(i) * 0.043
            let relative = abs(Double(FastMath.exp(x)) - Foundation.exp(Double(x))) / Foundation.exp(Double(x))
            worst = max(worst, relative)
        }
        #expect(worst < 1e-6)
        #expect(FastMath.exp(-1000) >= 0 && FastMath.exp(-1000) < 1e-37)
        #expect(FastMath.exp(1000).isFinite)
    }

    @Test func softmaxMasksAndNormalises() {
        var row: [Float] = [1, 2, 3, 100, -5]
        row.withUnsafeMutableBufferPointer { Softmax.inPlace($0.baseAddress!, valid: 3, width: 5) }
        #expect(abs(row[0...2].reduce(0, +) - 1) < 1e-6)
        #expect(row[3] == 0 && row[4] == 0)
        #expect(row[2] > row[1] && row[1] > row[0])
    }
}
