import Foundation
import Model
import Tasks

/// Appends one JSON object per line to a run's `metrics.jsonl`, flushed after every line so a
/// crash loses at most the line being written.
public final class MetricsLog {
    /// A metric value.
    public enum Value: Sendable {
        case int(Int)
        case double(Double)
        case string(String)

        var json: String {
            switch self {
            case .int(let v): return String(v)
            case .double(let v): return v.isFinite ? String(v) : "null"
            case .string(let s):
                let data = try? JSONSerialization.data(withJSONObject: [s], options: [])
                return data.map { String(decoding: $0.dropFirst().dropLast(), as: UTF8.self) } ?? "\"\""
            }
        }
    }

    private let handle: FileHandle
    public let path: String

    public init(path: String) throws(TrainingError) {
        self.path = path
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw .run("cannot open metrics log '\(path)' for writing")
        }
        handle.seekToEndOfFile()
        self.handle = handle
    }

    deinit { try? handle.close() }

    /// Drops records of steps after `step` (written after the checkpoint a run resumes from),
    /// so a resumed run's log has each step once.
    public static func truncate(path: String, afterStep step: Int) throws(TrainingError) {
        guard let data = FileManager.default.contents(atPath: path) else { return }
        let kept = data.split(separator: UInt8(ascii: "\n")).filter { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  let s = object["step"] as? Int else { return false }
            return s <= step
        }
        var out = Data()
        for line in kept { out.append(contentsOf: line); out.append(UInt8(ascii: "\n")) }
        do { try AtomicFile.write(out, to: path) } catch { throw .model(error) }
    }

    /// Writes one record with its keys in sorted order.
    public func append(_ record: [String: Value]) throws(TrainingError) {
        let body = record.keys.sorted().map { "\"\($0)\":\(record[$0]!.json)" }.joined(separator: ",")
        do { try handle.write(contentsOf: Data(("{" + body + "}\n").utf8)) } catch {
            throw .run("cannot write to metrics log '\(path)': \(error.localizedDescription)")
        }
    }
}

extension SelfCorrection {
    /// The fields a metrics record gets (none for a task that cannot audit its thinking): slips
    /// per step, false claims per sample, the share of mistakes recovered from, and the search
    /// length against the worked solution's.
    var record: [String: MetricsLog.Value] {
        guard samples > 0 else { return [:] }
        var r: [String: MetricsLog.Value] = ["slip_rate": .double(slipRate), "false_claim_rate": .double(falseClaimRate),
                                             "mistakes": .int(mistakes), "recovery_rate": .double(recoveryRate)]
        if searchesFound > 0 { r["search_length_ratio"] = .double(searchLengthRatio) }
        return r
    }
}
