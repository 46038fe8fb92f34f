/// A value in the program language: an integer, a boolean, a list of integers, or a function.
public indirect enum ProgramValue: Equatable, Sendable, CustomStringConvertible {
    case int(Int)
    case bool(Bool)
    case list([Int])
    case function(parameters: [String], body: ProgramNode, captured: [String: ProgramValue])

    public var description: String {
        switch self {
        case .int(let v): return String(v)
        case .bool(let b): return b ? "true" : "false"
        case .list(let l): return "[" + l.map(String.init).joined(separator: ",") + "]"
        case .function(let p, _, _): return "<function of \(p.joined(separator: ", "))>"
        }
    }

    /// Parses a test value: an integer or a list like `[1,2,3]`.
    public static func parse(_ text: String) -> ProgramValue? {
        let t = text.filter { !$0.isWhitespace }
        if let v = Int(t) { return .int(v) }
        guard t.hasPrefix("["), t.hasSuffix("]") else { return nil }
        let inner = t.dropFirst().dropLast()
        if inner.isEmpty { return .list([]) }
        var items: [Int] = []
        for part in inner.split(separator: ",", omittingEmptySubsequences: false) {
            guard let v = Int(part) else { return nil }
            items.append(v)
        }
        return .list(items)
    }
}

/// A parsed program: the syntax tree the interpreter walks.
public indirect enum ProgramNode: Equatable, Sendable {
    case int(Int)
    case variable(String)
    case list([ProgramNode])
    case unary(String, ProgramNode)
    case binary(String, ProgramNode, ProgramNode)
    case conditional(ProgramNode, ProgramNode, ProgramNode)
    case binding(String, ProgramNode, ProgramNode)
    case lambda([String], ProgramNode)
    case call(String, [ProgramNode])
}
