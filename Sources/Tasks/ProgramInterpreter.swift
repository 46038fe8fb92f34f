/// Runs programs of the program language with hard limits, so that any program — hostile,
/// malformed or merely slow — ends with a value or an error: a step budget (every node and every
/// list element costs one), a cap on list elements created, a recursion depth, and no I/O at all
/// (the language has none). Integer overflow and division by zero are errors.
public struct ProgramInterpreter: Sendable {
    public var maxSteps = 100_000
    public var maxListElements = 200_000
    public var maxDepth = 200

    public init() {}

    /// Parses and runs `program` with the variable `x` bound to `input`.
    public func run(_ program: String, input: ProgramValue) -> Result<ProgramValue, ProgramError> {
        switch ProgramParser.parse(program) {
        case .failure(let e): return .failure(e)
        case .success(let node): return run(node, input: input)
        }
    }

    public func run(_ node: ProgramNode, input: ProgramValue) -> Result<ProgramValue, ProgramError> {
        var machine = Machine(limits: self)
        do {
            let v = try machine.eval(node, ["x": input], depth: 0)
            if case .function = v { return .failure(.runtime("the program returns a function, not a value")) }
            return .success(v)
        } catch let e as ProgramError {
            return .failure(e)
        } catch {
            return .failure(.runtime("\(error)"))
        }
    }

    struct Machine {
        let limits: ProgramInterpreter
        var steps = 0
        var elements = 0

        mutating func tick(_ n: Int = 1) throws {
            steps += n
            if steps > limits.maxSteps { throw ProgramError.limit("more than \(limits.maxSteps) steps") }
        }

        mutating func allocate(_ n: Int) throws {
            elements += n
            if elements > limits.maxListElements { throw ProgramError.limit("more than \(limits.maxListElements) list elements") }
        }

        func int(_ v: ProgramValue, _ what: String) throws -> Int {
            guard case .int(let i) = v else { throw ProgramError.runtime("\(what) needs a number, got \(v)") }
            return i
        }

        func list(_ v: ProgramValue, _ what: String) throws -> [Int] {
            guard case .list(let l) = v else { throw ProgramError.runtime("\(what) needs a list, got \(v)") }
            return l
        }

        func checked(_ r: (partialValue: Int, overflow: Bool)) throws -> Int {
            if r.overflow { throw ProgramError.runtime("integer overflow") }
            return r.partialValue
        }

        mutating func eval(_ node: ProgramNode, _ env: [String: ProgramValue], depth: Int) throws -> ProgramValue {
            try tick()
            guard depth < limits.maxDepth else { throw ProgramError.limit("recursion deeper than \(limits.maxDepth)") }
            switch node {
            case .int(let v): return .int(v)
            case .variable(let n):
                guard let v = env[n] else { throw ProgramError.runtime("unknown name '\(n)'") }
                return v
            case .list(let items):
                try allocate(items.count)
                return .list(try items.map { try int(try eval($0, env, depth: depth + 1), "a list element") })
            case .unary(_, let e):
                return .int(try checked(0.subtractingReportingOverflow(try int(try eval(e, env, depth: depth + 1), "-"))))
            case .binary(let op, let l, let r):
                let a = try eval(l, env, depth: depth + 1), b = try eval(r, env, depth: depth + 1)
                if op == "==" { return .bool(a == b) }
                if op == "!=" { return .bool(a != b) }
                let x = try int(a, op), y = try int(b, op)
                switch op {
                case "+": return .int(try checked(x.addingReportingOverflow(y)))
                case "-": return .int(try checked(x.subtractingReportingOverflow(y)))
                case "*": return .int(try checked(x.multipliedReportingOverflow(by: y)))
                case "/", "%":
                    guard y != 0 else { throw ProgramError.runtime("division by zero") }
                    return .int(try checked(op == "/" ? x.dividedReportingOverflow(by: y) : x.remainderReportingOverflow(dividingBy: y)))
                case "<": return .bool(x < y)
                case "<=": return .bool(x <= y)
                case ">": return .bool(x > y)
                default: return .bool(x >= y)
                }
            case .conditional(let c, let a, let b):
                guard case .bool(let flag) = try eval(c, env, depth: depth + 1) else {
                    throw ProgramError.runtime("if needs a comparison")
                }
                return try eval(flag ? a : b, env, depth: depth + 1)
            case .binding(let n, let v, let body):
                var inner = env
                inner[n] = try eval(v, env, depth: depth + 1)
                return try eval(body, inner, depth: depth + 1)
            case .lambda(let params, let body):
                return .function(parameters: params, body: body, captured: env)
            case .call(let name, let args):
                let values = try args.map { try eval($0, env, depth: depth + 1) }
                return try call(name, values, depth: depth + 1)
            }
        }

        mutating func apply(_ f: ProgramValue, _ args: [ProgramValue], depth: Int) throws -> ProgramValue {
            guard case .function(let params, let body, let captured) = f else {
                throw ProgramError.runtime("expected a function such as y -> y*2")
            }
            guard params.count == args.count else {
                throw ProgramError.runtime("function takes \(params.count) arguments, given \(args.count)")
            }
            var env = captured
            for (p, a) in zip(params, args) { env[p] = a }
            return try eval(body, env, depth: depth + 1)
        }

        mutating func call(_ name: String, _ a: [ProgramValue], depth: Int) throws -> ProgramValue {
            func arity(_ n: Int) throws {
                guard a.count == n else { throw ProgramError.runtime("\(name) takes \(n) argument\(n == 1 ? "" : "s"), given \(a.count)") }
            }
            switch name {
            case "map":
                try arity(2)
                let xs = try list(a[1], "map")
                try allocate(xs.count)
                return .list(try xs.map { try int(try apply(a[0], [.int($0)], depth: depth), "map's function result") })
            case "filter":
                try arity(2)
                let xs = try list(a[1], "filter")
                try allocate(xs.count)
                return .list(try xs.filter {
                    guard case .bool(let keep) = try apply(a[0], [.int($0)], depth: depth) else {
                        throw ProgramError.runtime("filter's function must return a comparison")
                    }
                    return keep
                })
            case "fold":
                try arity(3)
                var acc = a[1]
                for v in try list(a[2], "fold") { acc = try apply(a[0], [acc, .int(v)], depth: depth) }
                return acc
            case "range":
                try arity(1)
                let n = try int(a[0], "range")
                guard (0...10_000).contains(n) else { throw ProgramError.runtime("range needs 0 to 10000, got \(n)") }
                try allocate(n)
                try tick(n)
                return .list(Array(0..<n))
            case "abs":
                try arity(1)
                let v = try int(a[0], "abs")
                guard v != Int.min else { throw ProgramError.runtime("integer overflow") }
                return .int(abs(v))
            default:
                try arity(1)
                let xs = try list(a[0], name)
                try tick(xs.count)
                switch name {
                case "len": return .int(xs.count)
                case "sum": return .int(try xs.reduce(0) { try checked($0.addingReportingOverflow($1)) })
                case "max", "min", "head":
                    guard let v = name == "max" ? xs.max() : name == "min" ? xs.min() : xs.first else {
                        throw ProgramError.runtime("\(name) of an empty list")
                    }
                    return .int(v)
                case "reverse": try allocate(xs.count); return .list(xs.reversed())
                case "sort": try allocate(xs.count); return .list(xs.sorted())
                default:
                    guard !xs.isEmpty else { throw ProgramError.runtime("tail of an empty list") }
                    try allocate(xs.count)
                    return .list(Array(xs.dropFirst()))
                }
            }
        }
    }
}
