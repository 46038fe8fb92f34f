/// Cross-entropy of next-token predictions with a weight per position.
public enum CrossEntropy {
    /// For each row with a non-zero weight: adds `weight · -log p(target)` to the returned loss,
    /// writes `dlogits = weight · (softmax − onehot)` (zero for weightless rows) and, when asked,
    /// the target's log-probability. `logits` is left unchanged; rows are independent.
    @inlinable
    public static func forwardBackward(logits: UnsafePointer<Float>, targets: UnsafePointer<Int32>,
                                       weights: UnsafePointer<Float>, rows: Int, vocab: Int,
                                       dlogits: UnsafeMutablePointer<Float>?,
                                       targetLogProbs: UnsafeMutablePointer<Float>?) -> Double {
        let parts = min(rows, Parallel.threadCount)
        let partial = UnsafeMutablePointer<Double>.allocate(capacity: max(parts, 1))
        defer { partial.deallocate() }
        Parallel.forEach(parts) { part in
            let (r0, r1) = Partition.range(part, of: parts, total: rows)
            var loss: Double = 0
            for r in r0..<r1 {
                let w = weights[r]
                let lr = logits + r &* vocab
                let t = Int(targets[r])
                if w == 0 && targetLogProbs == nil {
                    dlogits.map { ($0 + r &* vocab).update(repeating: 0, count: vocab) }
                    continue
                }
                var maxValue = -Float.infinity
                for j in 0..<vocab { maxValue = max(maxValue, lr[j]) }
                var sum: Float = 0
                for j in 0..<vocab { sum += FastMath.exp(lr[j] - maxValue) }
                let logSum = maxValue + Float(naturalLogarithm(Double(sum)))
                let logp = lr[t] - logSum
                targetLogProbs?[r] = logp
                loss += Double(-logp * w)
                if let d = dlogits {
                    let dr = d + r &* vocab
                    if w == 0 {
                        dr.update(repeating: 0, count: vocab)
                    } else {
                        for j in 0..<vocab { dr[j] = w * FastMath.exp(lr[j] - logSum) }
                        dr[t] -= w
                    }
                }
            }
            partial[part] = loss
        }
        var total: Double = 0
        for p in 0..<parts { total += partial[p] }
        return total
    }
}
