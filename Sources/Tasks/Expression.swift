/// Integer arithmetic expressions with `+ - * /` and parentheses, evaluated exactly.
///
/// Used to check Countdown answers and as the calculator tool. Hostile input is bounded: at most
/// 256 characters, 9-digit literals, 32 levels of parentheses; overflow, division by zero and
/// inexact division are verdicts, never crashes.
public struct Expression: Sendable, Equatable {
    public let value: Int
    /// The integer literals in the order they appear.
    public let literals: [Int]

    /// Why an expression was rejected.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case empty, tooLong, literalTooLong, unexpected(String), unbalanced, tooDeep, overflow, divisionByZero, inexactDivision(Int, Int)

        public var description: String {
            switch self {
            case .empty: return "empty expression"
            case .tooLong: return "expression longer than 256 characters"
            case .literalTooLong: return "a number with more than 9 digits"
            case .unexpected(let s): return "unexpected \(s)"
            case .unbalanced: return "unbalanced parentheses"
            case .tooDeep: return "parentheses nested deeper than 32"
            case .overflow: return "a value overflows"
            case .divisionByZero: return "division by zero"
            case .inexactDivision(let a, let b): return "\(a)/\(b) is not a whole number"
            }
        }
    }

    public static func evaluate(_ text: String) -> Result<Expression, Failure> {
        if text.utf8.count > 256 { return .failure(.tooLong) }
        var parser = Parser(bytes: Array(text.utf8))
        do {
            parser.skipSpaces()
            if parser.atEnd { throw Failure.empty }
            let value = try parser.sum(depth: 0)
            parser.skipSpaces()
            if !parser.atEnd {
                throw parser.bytes[parser.index] == UInt8(ascii: ")") ? Failure.unbalanced
                    : Failure.unexpected("'\(Character(Unicode.Scalar(parser.bytes[parser.index])))'")
            }
            return .success(Expression(value: value, literals: parser.literals))
        } catch let failure as Failure {
            return .failure(failure)
        } catch {
            return .failure(.unexpected("error"))
        }
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0
        var literals: [Int] = []

        var atEnd: Bool { index >= bytes.count }

        mutating func skipSpaces() {
            while index < bytes.count && (bytes[index] == 32 || bytes[index] == 9) { index += 1 }
        }

        mutating func sum(depth: Int) throws -> Int {
            var value = try product(depth: depth)
            while true {
                skipSpaces()
                guard !atEnd, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") else { return value }
                let plus = bytes[index] == UInt8(ascii: "+")
                index += 1
                let rhs = try product(depth: depth)
                let (r, o) = plus ? value.addingReportingOverflow(rhs) : value.subtractingReportingOverflow(rhs)
                if o { throw Failure.overflow }
                value = r
            }
        }

        mutating func product(depth: Int) throws -> Int {
            var value = try atom(depth: depth)
            while true {
                skipSpaces()
                guard !atEnd, bytes[index] == UInt8(ascii: "*") || bytes[index] == UInt8(ascii: "/") else { return value }
                let times = bytes[index] == UInt8(ascii: "*")
                index += 1
                let rhs = try atom(depth: depth)
                if times {
                    let (r, o) = value.multipliedReportingOverflow(by: rhs)
                    if o { throw Failure.overflow }
                    value = r
                } else {
                    if rhs == 0 { throw Failure.divisionByZero }
                    if value % rhs != 0 { throw Failure.inexactDivision(value, rhs) }
                    value /= rhs
                }
            }
        }

        mutating func atom(depth: Int) throws -> Int {
            skipSpaces()
            guard !atEnd else { throw Failure.unexpected("end of expression") }
            let c = bytes[index]
            if c == UInt8(ascii: "(") {
                if depth >= 32 { throw Failure.tooDeep }
                index += 1
                let value = try sum(depth: depth + 1)
                skipSpaces()
                guard !atEnd, bytes[index] == UInt8(ascii: ")") else { throw Failure.unbalanced }
                index += 1
                return value
            }
            guard c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") else {
                throw c == UInt8(ascii: ")") ? Failure.unbalanced
                    : Failure.unexpected(c < 128 ? "'\(Character(Unicode.Scalar(c)))'" : "non-ASCII text")
            }
            var value = 0, digits = 0
            while index < bytes.count && bytes[index] >= UInt8(ascii: "0") && bytes[index] <= UInt8(ascii: "9") {
                digits += 1
                if digits > 9 { throw Failure.literalTooLong }
                value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
                index += 1
            }
            literals.append(value)
            return value
        }
    }
}
