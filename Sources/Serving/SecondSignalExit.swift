import Foundation
import Hummingbird

/// The first SIGTERM or SIGINT starts a graceful shutdown (ServiceLifecycle's); this makes the
/// second one end the process at once, for an operator who will not wait for the requests in flight.
enum SecondSignalExit {
    private static let queue = DispatchQueue(label: "strawberry-signals")
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []
    nonisolated(unsafe) private static var received = 0

    static func install() {
        queue.sync {
            guard sources.isEmpty else { return }
            for signalNumber in [SIGTERM, SIGINT] {
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
                source.setEventHandler {
                    received += 1
                    guard received >= 2 else { return }
                    let message = "second signal: exiting without waiting for the requests in flight\n"
                    _ = message.withCString { write(2, $0, strlen($0)) }
                    _exit(128 + signalNumber)
                }
                source.resume()
                sources.append(source)
            }
        }
    }
}

extension StrawberryServer {
    /// Runs `application` until SIGTERM or SIGINT, finishing the requests in flight, or until a
    /// second signal, which exits at once.
    public static func run(_ application: some ApplicationProtocol) async throws {
        SecondSignalExit.install()
        try await application.runService()
    }
}
