import Foundation
import Model

/// Runs a list of generation requests to completion over a `DecodeBatch` of `slots` sequences:
/// a finished sequence frees its slot for the next waiting request (continuous batching).
public final class Engine: @unchecked Sendable {
    public let model: Transformer
    /// Sequences decoded together.
    public let slots: Int
    /// The time that budget deadlines are measured by.
    private let clock: @Sendable () -> Date

    public init(model: Transformer, slots: Int = 16, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.model = model
        self.slots = max(1, slots)
        self.clock = clock
    }

    /// Runs every request to completion; `onToken(requestIndex, token)` streams each completion
    /// token as it is decided. Results are in request order. A small model's slots are shared out
    /// among one batch per thread (`ReplicatedDecoding`), unless tokens are streamed. Requests with
    /// thinking cuts get as many fork slots as request slots, so a fork rarely waits.
    public func generate(_ requests: [GenerationRequest],
                         onToken: ((Int, GeneratedToken) -> Void)? = nil) throws(ModelError) -> [Generation] {
        let width = min(slots, max(1, requests.count))
        let decoding = ReplicatedDecoding(model: model, slots: width, forkSlots: requests.contains { !$0.cuts.isEmpty } ? width : 0,
                                          clock: clock)
        return try decoding.run(requests, onToken: onToken).generations
    }

    /// `samples` requests for each of `count` items (problems), made by `request(item, sample)`,
    /// run in one batched call; the generations come back grouped per item, in order.
    public func generate(items count: Int, samples: Int,
                         _ request: (_ item: Int, _ sample: Int) -> GenerationRequest) throws(ModelError) -> [[Generation]] {
        let requests = (0..<count).flatMap { i in (0..<samples).map { k in request(i, k) } }
        let generations = try generate(requests)
        return (0..<count).map { i in Array(generations[(i * samples)..<((i + 1) * samples)]) }
    }
}
