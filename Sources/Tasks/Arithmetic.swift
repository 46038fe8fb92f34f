import Foundation
import Kernels

/// Multi-digit addition and multiplication with a schoolbook scratchpad. Difficulty is the number
/// of digits of each operand (1–8); the seed picks the operation.
public struct Arithmetic: ReasoningTask {
    public let name = "arithmetic"
    public let difficulties = 1...8

    public init() {}

    public func generate(seed: UInt64, difficulty: Int) -> Problem {
        let digits = min(max(difficulty, difficulties.lowerBound), difficulties.upperBound)
        var rng = SeededRNG(seed: seed ^ 0xA417_A417)
        let low = digits == 1 ? 0 : Int(pow(10, Double(digits - 1)))
        let high = Int(pow(10, Double(digits)))
        let a = low + Int(rng.next() % UInt64(high - low)), b = low + Int(rng.next() % UInt64(high - low))
        let multiply = rng.next() % 2 == 1
        let op = multiply ? "*" : "+"
        let result = multiply ? a * b : a + b
        return Problem(task: name, seed: seed, difficulty: digits, prompt: "What is \(a)\(op)\(b)?",
                       inputs: [a, b, multiply ? 1 : 0], target: result, key: String(result))
    }

    public func canonical(_ problem: Problem) -> String {
        "\(problem.inputs[0])\(problem.inputs[2] == 1 ? "*" : "+")\(problem.inputs[1])"
    }

    public func score(_ problem: Problem, completion: String) -> Score {
        guard let answer = Completion(completion).answer else { return .malformed("thinking never closed") }
        guard !answer.isEmpty, answer.utf8.count <= 20, answer.allSatisfy({ $0.isASCII && $0.isNumber }),
              let value = Int(answer) else {
            return .malformed("the answer '\(answer.prefix(40))' is not a whole number")
        }
        return value == problem.target ? .right("\(value)") : .wrong("\(value), not \(problem.target)")
    }

    public func runTool(_ call: String, problem: Problem) -> String { calculator(call) }

    public func trace(_ problem: Problem, style: TraceStyle, maxThinkingTokens: Int = 4096) -> String? {
        let (a, b, multiply) = (problem.inputs[0], problem.inputs[1], problem.inputs[2] == 1)
        if style == .none { return String(problem.target) }
        let thinking = multiply ? multiplication(a, b, style: style) : addition(a, b)
        guard ThinkingLength.tokens(thinking) <= maxThinkingTokens else { return nil }
        return "<think>\(thinking)</think>\(problem.target)"
    }

    /// Column addition from the right, with carries.
    func addition(_ a: Int, _ b: Int) -> String {
        let x = Array(String(a).reversed()), y = Array(String(b).reversed())
        var lines = "\(a)+\(b)\n", carry = 0, digits: [Int] = []
        for i in 0..<max(x.count, y.count) {
            let p = i < x.count ? Int(String(x[i]))! : 0, q = i < y.count ? Int(String(y[i]))! : 0
            let sum = p + q + carry
            lines += "\(p)+\(q)" + (carry > 0 ? "+\(carry)" : "") + "=\(sum)"
            lines += sum >= 10 ? " write \(sum % 10) carry 1\n" : " write \(sum)\n"
            digits.append(sum % 10)
            carry = sum / 10
        }
        if carry > 0 { lines += "write 1\n"; digits.append(1) }
        return lines + "= \(digits.reversed().map(String.init).joined())\n"
    }

    /// One partial product per digit of the second operand, shifted, then summed.
    func multiplication(_ a: Int, _ b: Int, style: TraceStyle) -> String {
        var lines = "\(a)*\(b)\n", total = 0, place = 1
        for ch in String(b).reversed() {
            let d = Int(String(ch))!
            let partial = a * d * place
            let work = style == .tool ? "<tool>\(a)*\(d)</tool><result>\(a * d)</result>" : "\(a)*\(d)=\(a * d)"
            lines += place == 1 ? "\(work)\n" : "\(work), shifted \(partial)\n"
            if place > 1 {
                let add = style == .tool ? "<tool>\(total)+\(partial)</tool><result>\(total + partial)</result>"
                    : "\(total)+\(partial)=\(total + partial)"
                lines += "\(add)\n"
            }
            total += partial
            place *= 10
        }
        return lines + "= \(total)\n"
    }
}
