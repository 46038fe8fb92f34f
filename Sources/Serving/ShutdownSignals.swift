import Foundation
import Hummingbird
import ServiceLifecycle
import Synchronization

/// SIGTERM and SIGINT for `serve`: the first starts a graceful shutdown (the requests in flight
/// finish), the second ends the process at once, for an operator who will not wait.
///
/// Caught by a plain signal handler, not by Dispatch's signal sources (which ServiceLifecycle
/// uses): on Linux those read a signalfd after setting the signal to be ignored, so a signal that
/// reaches a thread which has not blocked it is dropped there before the signalfd sees it — a race
/// that lost the second signal on a busy machine. A handler runs on whichever thread takes the
/// signal; it only counts, writes one byte to a pipe or exits (async-signal-safe calls), and a
/// thread of its own, which keeps both signals unblocked so that one is always there to take
/// them, turns the byte into the graceful shutdown.
enum ShutdownSignals {
    private static let received = Atomic<Int>(0)
    nonisolated(unsafe) private static var wakeFD: Int32 = -1
    nonisolated(unsafe) private static let secondSignalNote = strdup("second signal: exiting without waiting for the requests in flight\n")!
    private static let installed = Mutex(false)
    /// What `serve` says once it has taken the first signal (tests wait for it before the second).
    static let firstSignalNote = "stopping: finishing the requests in flight; a second SIGTERM or Ctrl-C exits at once\n"

    /// Calls `onFirst` (once, on a thread of its own) at the first SIGTERM or SIGINT; exits with
    /// 128 + the signal's number at the second. Installs once per process.
    static func install(onFirst: @escaping @Sendable () -> Void) throws(ServeError) {
        var fds: [Int32] = [-1, -1]
        // Whether this call installs (false: an earlier one did), or why it cannot.
        let installs: Result<Bool, ServeError> = installed.withLock { done in
            if done { return .success(false) }
            guard pipe(&fds) == 0 else { return .failure(.signalsNotCaught(errno: errno)) }
            done = true
            return .success(true)
        }
        guard try installs.get() else { return }
        wakeFD = fds[1]
        let readFD = fds[0]
        // The handler must not be the first to touch a lazily made static.
        _ = received.load(ordering: .relaxed)
        _ = secondSignalNote
        let watcher = Thread {
            var mask = sigset_t()
            sigemptyset(&mask)
            sigaddset(&mask, SIGTERM)
            sigaddset(&mask, SIGINT)
            pthread_sigmask(SIG_UNBLOCK, &mask, nil)
            var byte: UInt8 = 0
            while read(readFD, &byte, 1) != 1 {}
            FileHandle.standardError.write(Data(firstSignalNote.utf8))
            onFirst()
        }
        watcher.name = "strawberry-signals"
        watcher.start()
        for signalNumber in [SIGTERM, SIGINT] {
            signal(signalNumber) { signalNumber in
                if ShutdownSignals.received.add(1, ordering: .relaxed).newValue >= 2 {
                    _ = write(2, ShutdownSignals.secondSignalNote, strlen(ShutdownSignals.secondSignalNote))
                    _exit(128 + signalNumber)
                }
                var byte: UInt8 = 1
                _ = write(ShutdownSignals.wakeFD, &byte, 1)
            }
        }
    }
}

extension StrawberryServer {
    /// Runs `application` until SIGTERM or SIGINT, finishing the requests in flight, or until a
    /// second signal, which exits at once.
    public static func run(_ application: some ApplicationProtocol) async throws {
        let group = ServiceGroup(configuration: .init(services: [application], logger: application.logger))
        try ShutdownSignals.install { Task { await group.triggerGracefulShutdown() } }
        try await group.run()
    }
}
