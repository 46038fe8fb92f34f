import Foundation

/// Two evaluations of the same test problems compared problem by problem: the accuracy
/// difference of one (strategy, budget) cell, the problems only one of them solves, and the exact
/// McNemar test on those (a two-sided binomial test of the discordant problems), which sees a
/// few points' difference where two unpaired accuracies cannot.
public struct PairedComparison: Sendable, Equatable {
    public let strategy: String
    public let budget: Int
    /// Accuracy of the first minus accuracy of the second.
    public let difference: Double
    /// Problems only the first solves, and only the second.
    public let onlyFirst: Int, onlySecond: Int
    /// Exact two-sided McNemar p-value.
    public let pValue: Double

    /// Every cell the two reports share (same strategy and budget, same problem count, solved
    /// problems recorded), in the first report's order.
    public static func cells(_ first: EvalReport, _ second: EvalReport) -> [PairedComparison] {
        first.cells.compactMap { a in
            guard let b = second.cells.first(where: { $0.strategy == a.strategy && $0.budget == a.budget }),
                  let solvedA = a.solved, let solvedB = b.solved, first.settings.problems == second.settings.problems
            else { return nil }
            let setA = Set(solvedA), setB = Set(solvedB)
            let onlyA = setA.subtracting(setB).count, onlyB = setB.subtracting(setA).count
            return PairedComparison(strategy: a.strategy, budget: a.budget, difference: a.accuracy - b.accuracy,
                                    onlyFirst: onlyA, onlySecond: onlyB, pValue: mcNemar(onlyA, onlyB))
        }
    }

    /// The exact two-sided McNemar p-value for `b` and `c` discordant problems: twice the
    /// binomial(b + c, ½) tail at the smaller count, at most 1.
    public static func mcNemar(_ b: Int, _ c: Int) -> Double {
        let n = b + c
        guard n > 0 else { return 1 }
        let logHead = lgamma(Double(n + 1)) + Double(n) * log(0.5)
        var tail = 0.0
        for i in 0...min(b, c) { tail += exp(logHead - lgamma(Double(i + 1)) - lgamma(Double(n - i + 1))) }
        return min(1, 2 * tail)
    }
}
