import Foundation

/// Reads JSONL: one JSON object per line, blank lines skipped. A bad line is reported with its
/// number and what is wrong with it (not UTF-8, not JSON, not an object).
public enum JSONLines {
    /// The objects of `data` with their 1-based line numbers; `path` names the file in errors.
    public static func objects(_ data: Data, path: String) throws(TaskError) -> [(line: Int, object: [String: Any])] {
        var result: [(Int, [String: Any])] = []
        var number = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            if line.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
            if let offset = firstInvalidUTF8(line) {
                throw .data("\(path):\(number): not valid UTF-8 (byte \(offset + 1) of the line); save the file as UTF-8")
            }
            let parsed: Any
            do { parsed = try JSONSerialization.jsonObject(with: Data(line), options: .fragmentsAllowed) } catch {
                throw .data("\(path):\(number): not valid JSON")
            }
            guard let object = parsed as? [String: Any] else { throw .data("\(path):\(number): not a JSON object") }
            result.append((number, object))
        }
        return result
    }

    /// Offset of the first byte that is not part of valid UTF-8, or nil when all of it is.
    static func firstInvalidUTF8(_ bytes: some Collection<UInt8>) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .error: return offset
            case .emptyInput: return nil
            }
        }
    }
}
