/// Parses the program language:
///
/// ```
/// expr  := let NAME = expr in expr | if expr then expr else expr | NAME -> expr
///        | (NAME, NAME) -> expr | compare
/// compare := sum (== | != | < | <= | > | >= sum)?      sum := term ((+|-) term)*
/// term  := unary ((*|/|%) unary)*    unary := - unary | atom
/// atom  := INT | NAME | NAME(expr, …) | (expr) | [expr, …]
/// ```
/// Bounded for hostile input: 2,000 characters, 64 levels of nesting.
public enum ProgramParser {
    public static let builtins: Set<String> = ["map", "filter", "fold", "len", "sum", "max", "min", "reverse", "sort",
                                               "head", "tail", "range", "abs"]
    static let keywords: Set<String> = ["let", "in", "if", "then", "else"]

    public static func parse(_ text: String) -> Result<ProgramNode, ProgramError> {
        guard text.utf8.count <= 2000 else { return .failure(.syntax("program longer than 2000 characters")) }
        var p = Parser(tokens: [])
        do {
            p.tokens = try tokenize(text)
            let node = try p.expression(depth: 0)
            guard p.index == p.tokens.count else { throw ProgramError.syntax("unexpected '\(p.tokens[p.index])'") }
            return .success(node)
        } catch let e as ProgramError {
            return .failure(e)
        } catch {
            return .failure(.syntax("\(error)"))
        }
    }

    static func tokenize(_ text: String) throws -> [String] {
        var tokens: [String] = []
        let chars = Array(text.unicodeScalars)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == " " || c == "\n" || c == "\t" || c == "\r" { i += 1; continue }
            if c.properties.numericType != nil && c.isASCII {
                var j = i
                while j < chars.count, chars[j].isASCII, chars[j].properties.numericType != nil { j += 1 }
                guard j - i <= 12 else { throw ProgramError.syntax("number too long") }
                tokens.append(String(String.UnicodeScalarView(chars[i..<j])))
                i = j
                continue
            }
            if c.isASCII && (c.properties.isAlphabetic || c == "_") {
                var j = i
                while j < chars.count, chars[j].isASCII, chars[j].properties.isAlphabetic || chars[j] == "_" || chars[j].properties.numericType != nil { j += 1 }
                tokens.append(String(String.UnicodeScalarView(chars[i..<j])))
                i = j
                continue
            }
            let two = i + 1 < chars.count ? String(c) + String(chars[i + 1]) : ""
            if ["==", "!=", "<=", ">=", "->"].contains(two) { tokens.append(two); i += 2; continue }
            if "+-*/%<>()[],=".unicodeScalars.contains(c) { tokens.append(String(c)); i += 1; continue }
            throw ProgramError.syntax("unexpected character '\(c)'")
        }
        return tokens
    }

    struct Parser {
        var tokens: [String]
        var index = 0

        var peek: String? { index < tokens.count ? tokens[index] : nil }
        func peek(_ k: Int) -> String? { index + k < tokens.count ? tokens[index + k] : nil }

        mutating func expect(_ t: String) throws {
            guard peek == t else { throw ProgramError.syntax("expected '\(t)'" + (peek.map { ", found '\($0)'" } ?? " at the end")) }
            index += 1
        }

        mutating func name() throws -> String {
            guard let t = peek, let f = t.unicodeScalars.first, f.properties.isAlphabetic || f == "_",
                  !ProgramParser.keywords.contains(t) else { throw ProgramError.syntax("expected a name") }
            index += 1
            return t
        }

        mutating func expression(depth: Int) throws -> ProgramNode {
            guard depth < 64 else { throw ProgramError.syntax("nested deeper than 64") }
            switch peek {
            case "let":
                index += 1
                let n = try name()
                try expect("=")
                let value = try expression(depth: depth + 1)
                try expect("in")
                return .binding(n, value, try expression(depth: depth + 1))
            case "if":
                index += 1
                let c = try expression(depth: depth + 1)
                try expect("then")
                let a = try expression(depth: depth + 1)
                try expect("else")
                return .conditional(c, a, try expression(depth: depth + 1))
            default:
                if peek(1) == "->" {
                    let p = try name()
                    index += 1
                    return .lambda([p], try expression(depth: depth + 1))
                }
                if peek == "(", peek(2) == ",", peek(4) == ")", peek(5) == "->" {
                    index += 1
                    let a = try name()
                    index += 1
                    let b = try name()
                    index += 2
                    return .lambda([a, b], try expression(depth: depth + 1))
                }
                return try comparison(depth: depth)
            }
        }

        mutating func comparison(depth: Int) throws -> ProgramNode {
            let lhs = try sum(depth: depth)
            if let op = peek, ["==", "!=", "<", "<=", ">", ">="].contains(op) {
                index += 1
                return .binary(op, lhs, try sum(depth: depth))
            }
            return lhs
        }

        mutating func sum(depth: Int) throws -> ProgramNode {
            var node = try term(depth: depth)
            while let op = peek, op == "+" || op == "-" {
                index += 1
                node = .binary(op, node, try term(depth: depth))
            }
            return node
        }

        mutating func term(depth: Int) throws -> ProgramNode {
            var node = try unary(depth: depth)
            while let op = peek, op == "*" || op == "/" || op == "%" {
                index += 1
                node = .binary(op, node, try unary(depth: depth))
            }
            return node
        }

        mutating func unary(depth: Int) throws -> ProgramNode {
            guard depth < 64 else { throw ProgramError.syntax("nested deeper than 64") }
            if peek == "-" {
                index += 1
                return .unary("-", try unary(depth: depth + 1))
            }
            return try atom(depth: depth)
        }

        mutating func atom(depth: Int) throws -> ProgramNode {
            guard let t = peek else { throw ProgramError.syntax("unexpected end of program") }
            if let v = Int(t) { index += 1; return .int(v) }
            if t == "(" {
                index += 1
                let e = try expression(depth: depth + 1)
                try expect(")")
                return e
            }
            if t == "[" {
                index += 1
                var items: [ProgramNode] = []
                if peek != "]" {
                    items.append(try expression(depth: depth + 1))
                    while peek == "," { index += 1; items.append(try expression(depth: depth + 1)) }
                }
                try expect("]")
                return .list(items)
            }
            let n = try name()
            if peek == "(" {
                guard ProgramParser.builtins.contains(n) else { throw ProgramError.syntax("unknown function '\(n)'") }
                index += 1
                var args: [ProgramNode] = []
                if peek != ")" {
                    args.append(try expression(depth: depth + 1))
                    while peek == "," { index += 1; args.append(try expression(depth: depth + 1)) }
                }
                try expect(")")
                return .call(n, args)
            }
            return .variable(n)
        }
    }
}

/// Why a program did not produce a value.
public enum ProgramError: Error, Equatable, CustomStringConvertible {
    case syntax(String)
    case runtime(String)
    case limit(String)

    public var description: String {
        switch self {
        case .syntax(let m): return "syntax error: \(m)"
        case .runtime(let m): return "runtime error: \(m)"
        case .limit(let m): return "limit exceeded: \(m)"
        }
    }
}
