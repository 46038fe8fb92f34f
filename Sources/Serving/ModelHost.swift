import Foundation
import Model

/// The served model's state: loading (health 503), ready with its scheduler, or failed to load.
final class ModelHost: @unchecked Sendable {
    enum State {
        case loading
        case ready(InferenceScheduler)
        case failed(String)
    }

    private let lock = NSLock()
    private var _state = State.loading

    var state: State {
        lock.lock()
        defer { lock.unlock() }
        return _state
    }

    func set(_ state: State) {
        lock.lock()
        _state = state
        lock.unlock()
    }

    /// The scheduler, or the 503 to answer while there is none.
    func scheduler() throws(APIError) -> InferenceScheduler {
        switch state {
        case .ready(let s): return s
        case .loading: throw .loading
        case .failed(let message): throw .server("The model failed to load: \(message)")
        }
    }
}
