import Foundation

/// Any JSON value, decoded without losing the difference between `true`, `1` and `"1"`, so that
/// request validation can say exactly which field has the wrong type.
enum JSONValue: Decodable, Equatable {
    case null
    case bool(Bool)
    /// A number written without a fraction or exponent that fits 64 bits, kept exactly.
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int64.self) { self = .integer(i) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    /// Parses a request body; malformed JSON becomes a 400 that says so.
    static func parse(_ data: Data) throws(APIError) -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw .invalid(nil, "The request body is not valid JSON.", code: "invalid_json")
        }
    }

    /// The value as a floating-point number, when it is one.
    var double: Double? {
        switch self {
        case .integer(let i): Double(i)
        case .number(let x): x
        default: nil
        }
    }

    /// The kind of value, for error messages.
    var kind: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer, .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
