import Foundation

/// `--config run.json`: a run's options written once in a file, read as the command-line flags of
/// the same names. Keys are the flags' names (`batch-size`; `batchSize` and `batch_size` also
/// work); a number or string is the flag's value, `true` sets a flag and `false` leaves it out, an
/// array is a comma-separated list (`"budgets": [0, 64, 128]`). The flags from the file go before
/// those on the command line, so a flag given there overrides the file.
public enum ConfigFile {
    /// Replaces `--config FILE` (or `--config=FILE`) in `arguments` by the file's flags, placed
    /// right after the subcommand names; arguments without `--config` come back unchanged.
    public static func expand(_ arguments: [String]) throws(ConfigFileError) -> [String] {
        var rest: [String] = [], path: String?
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a == "--config" {
                guard i + 1 < arguments.count else { throw .missingPath }
                path = arguments[i + 1]
                i += 2
                continue
            }
            if a.hasPrefix("--config=") { path = String(a.dropFirst(9)) } else { rest.append(a) }
            i += 1
        }
        guard let path else { return arguments }
        let flags = try self.flags(in: path)
        let commandEnd = rest.firstIndex { $0.hasPrefix("-") } ?? rest.count
        return Array(rest[..<commandEnd]) + flags + Array(rest[commandEnd...])
    }

    /// One value of a config file, as JSON gives it.
    enum Value: Decodable {
        case flag(Bool), integer(Int64), number(Double), text(String), list([Value])

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) { self = .flag(b) }
            else if let i = try? c.decode(Int64.self) { self = .integer(i) }
            else if let x = try? c.decode(Double.self) { self = .number(x) }
            else if let s = try? c.decode(String.self) { self = .text(s) }
            else { self = .list(try c.decode([Value].self)) }
        }

        /// The value as a flag's argument; nil for a nested list or a boolean inside a list.
        var argument: String? {
            switch self {
            case .integer(let i): String(i)
            case .number(let x): String(x)
            case .text(let s): s
            case .flag: nil
            case .list(let items):
                items.allSatisfy { $0.argument != nil && !$0.isList } ? items.compactMap(\.argument).joined(separator: ",") : nil
            }
        }

        var isList: Bool { if case .list = self { true } else { false } }
    }

    /// The flags a config file stands for, in key order.
    public static func flags(in path: String) throws(ConfigFileError) -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path) }
        guard let object = try? JSONDecoder().decode([String: Value].self, from: data) else { throw .notAnObject(path) }
        var flags: [String] = []
        for key in object.keys.sorted() {
            let name = "--" + kebab(key)
            switch object[key]! {
            case .flag(let on): if on { flags.append(name) }
            case let value:
                guard let argument = value.argument else { throw .badValue(path, key) }
                flags += [name, argument]
            }
        }
        return flags
    }

    /// `batchSize` and `batch_size` as `batch-size`.
    static func kebab(_ key: String) -> String {
        var out = ""
        for c in key {
            if c == "_" { out.append("-") } else if c.isUppercase { out += "-" + c.lowercased() } else { out.append(c) }
        }
        return out
    }
}

/// A `--config` file that cannot be used, and what to do about it.
public enum ConfigFileError: Error, CustomStringConvertible {
    case missingPath
    case unreadable(String)
    case notAnObject(String)
    case badValue(String, String)

    public var description: String {
        switch self {
        case .missingPath: "--config needs a file: --config run.json"
        case .unreadable(let path): "cannot read the config file '\(path)': check the path"
        case .notAnObject(let path): "the config file '\(path)' is not a JSON object of flag names and values, like {\"steps\": 400, \"lr\": 0.001}"
        case .badValue(let path, let key):
            "'\(key)' in '\(path)' must be a number, a string, true/false or an array of numbers and strings"
        }
    }
}
