/// A batch of right-padded token sequences with next-token targets and a loss weight per position.
///
/// `weights` decides what is learned: zero on prompt and padding positions for SFT, the
/// advantage divided by the normaliser for RL. The loss is `Σ weight · −log p(target)`.
public struct TokenBatch: Sendable {
    public let batchSize: Int
    public let length: Int
    public var inputs: [Int32]
    public var targets: [Int32]
    public var weights: [Float]
    /// Positions that hold a real token rather than padding.
    public private(set) var realTokens: Int

    public init(batchSize: Int, length: Int, inputs: [Int32], targets: [Int32], weights: [Float]) {
        precondition(inputs.count == batchSize * length && targets.count == inputs.count && weights.count == inputs.count,
                     "TokenBatch arrays must each hold batchSize × length entries")
        self.batchSize = batchSize
        self.length = length
        self.inputs = inputs
        self.targets = targets
        self.weights = weights
        realTokens = inputs.count
    }

    /// Builds a batch from whole sequences and per-token weights on the token being predicted
    /// (`tokenWeights[i][j]` weights the prediction of `sequences[i][j]`, j ≥ 1). Sequences are
    /// padded to the longest one; the padding id is a placeholder (its weight is 0), valid in
    /// every vocabulary Strawberry reads.
    public init(sequences: [[Int32]], tokenWeights: [[Float]]) {
        let length = max(1, (sequences.map(\.count).max() ?? 1) - 1)
        let pad = Tokenizer.Special.pad.rawValue
        var inputs = [Int32](repeating: pad, count: sequences.count * length)
        var targets = inputs
        var weights = [Float](repeating: 0, count: inputs.count)
        for (b, seq) in sequences.enumerated() where seq.count > 1 {
            for j in 0..<(seq.count - 1) {
                inputs[b * length + j] = seq[j]
                targets[b * length + j] = seq[j + 1]
                weights[b * length + j] = tokenWeights[b][j + 1]
            }
        }
        self.init(batchSize: sequences.count, length: length, inputs: inputs, targets: targets, weights: weights)
        realTokens = sequences.reduce(0) { $0 + max(0, $1.count - 1) }
    }
}
