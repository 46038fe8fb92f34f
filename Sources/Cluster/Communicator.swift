import Foundation

/// The processes of one job and the collective operations Strawberry's data-parallel commands
/// use. Every rank calls the same operations in the same order; a rank that fails ends the job
/// (`abort`) so that no other rank waits for it forever.
public protocol Communicator: AnyObject, Sendable {
    /// This process's place in the job, 0 ..< `size`; rank 0 prints, checkpoints and reports.
    var rank: Int { get }
    /// How many processes the job has.
    var size: Int { get }
    /// Every rank's bytes, in rank order, on every rank.
    func allGather(_ bytes: [UInt8]) throws(ClusterError) -> [[UInt8]]
    /// Replaces `values` on every rank by their element-wise sum over the ranks, added in rank
    /// order: the result does not depend on timing and is the same, bit for bit, on every rank.
    func sum(_ values: UnsafeMutableBufferPointer<Float>) throws(ClusterError)
    /// Ends every rank of the job now with `code`, after printing `message` on this one.
    func abort(code: Int32, message: String) -> Never
}

extension Communicator {
    /// Whether this is rank 0, the one that prints progress and writes files.
    public var isPrimary: Bool { rank == 0 }

    /// This rank's contiguous share of `count` items: ranks get sizes that differ by at most one,
    /// in rank order, so concatenating the shares in rank order gives back `0..<count`.
    public func share(of count: Int) -> Range<Int> {
        (count * rank / size)..<(count * (rank + 1) / size)
    }

    /// Every rank's value, in rank order (JSON on the wire).
    public func allGather<Value: Codable>(_ value: Value) throws(ClusterError) -> [Value] {
        guard size > 1 else { return [value] }
        let bytes: [UInt8]
        do { bytes = Array(try JSONEncoder().encode(value)) } catch { throw .encoding("\(Value.self): \(error)") }
        return try allGather(bytes).enumerated().map { (rank, part) throws(ClusterError) in
            do { return try JSONDecoder().decode(Value.self, from: Data(part)) } catch {
                throw .encoding("\(Value.self) from rank \(rank): \(error)")
            }
        }
    }

    /// The sum over ranks of `value`, added in rank order.
    public func sum(_ value: Double) throws(ClusterError) -> Double {
        guard size > 1 else { return value }
        return try allGather(value).reduce(0, +)
    }

    /// The sum over ranks of `value`.
    public func sum(_ value: Int) throws(ClusterError) -> Int {
        guard size > 1 else { return value }
        return try allGather(value).reduce(0, +)
    }

    /// Throws on every rank unless all ranks were started with the same settings: `settings`
    /// maps a name (`--lr`, `model weights`) to this rank's value, and the error names the first
    /// rank and the settings that differ from rank 0's.
    public func requireSameSettings(_ settings: [String: String]) throws(ClusterError) {
        guard size > 1 else { return }
        let all = try allGather(settings)
        for (rank, other) in all.enumerated().dropFirst() where other != all[0] {
            let names = Set(all[0].keys).union(other.keys).filter { all[0][$0] != other[$0] }.sorted()
            let differences = names.map { "\($0): rank 0 has \(all[0][$0] ?? "not given"), rank \(rank) has \(other[$0] ?? "not given")" }
            throw .mismatch(differences)
        }
    }
}
