import Foundation
import Logging
import Model
import ServiceLifecycle

/// Loads the served model beside the HTTP server (which answers `/health` with 503 meanwhile),
/// then runs its scheduler until graceful shutdown, when the scheduler's thread is stopped after
/// the server has finished the requests in flight. A model that fails to load is logged and ends
/// the service group, so the process exits non-zero and a supervisor can restart it.
struct ModelService: Service {
    let host: ModelHost
    let load: @Sendable () throws -> Transformer
    let slots: Int
    let maxWaiting: Int
    let logger: Logger

    func run() async throws {
        let model: Transformer
        do {
            model = try await Self.onOwnThread(load)
        } catch {
            host.set(.failed("\(error)"))
            logger.error("the model failed to load: \(error)")
            throw ServeError.modelFailedToLoad("\(error)")
        }
        let scheduler = InferenceScheduler(model: model, slots: slots, maxWaiting: maxWaiting)
        host.set(.ready(scheduler))
        logger.info("model ready: \(model.config.parameterCount) parameters (matrices in \(model.precision)), \(slots) slots in \(scheduler.batches) batch\(scheduler.batches == 1 ? "" : "es") (one thread each)")
        try? await gracefulShutdown()
        scheduler.shutdown()
    }

    /// Runs a long, blocking load on a thread of its own rather than one of Swift concurrency's.
    static func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                do { continuation.resume(returning: try work()) } catch { continuation.resume(throwing: error) }
            }
        }
    }
}

/// Why `strawberry serve` stopped.
public enum ServeError: Error, CustomStringConvertible {
    case modelFailedToLoad(String)
    /// The pipe that turns a signal into a graceful shutdown could not be made.
    case signalsNotCaught(errno: Int32)

    public var description: String {
        switch self {
        case .modelFailedToLoad(let reason): return "the model failed to load: \(reason)"
        case .signalsNotCaught(let errno):
            return "cannot catch SIGTERM and SIGINT: pipe() failed (\(String(cString: strerror(errno)))); "
                + "raise the limit on open files (ulimit -n) and start again"
        }
    }
}
