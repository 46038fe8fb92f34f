import Foundation

/// Runs an untrusted command in its own process session with a deadline, resource limits and,
/// where bubblewrap is installed, no network and a read-only filesystem with a private `/tmp`.
///
/// The chain is `setsid` (a new session whose id is the child's pid) → `setpriv` (drop to the
/// `nobody` user when running as root, so the process limit applies) → `prlimit` (CPU seconds,
/// address space, file size, open files, processes) → `bwrap --unshare-all` → `sh -c COMMAND`.
/// At the deadline, or when the output outgrows its cap, the whole process group is killed.
public enum Sandbox {
    /// Limits for one run.
    public struct Limits: Sendable {
        public var wallSeconds: Double = 5
        public var cpuSeconds = 5
        public var memoryBytes = 1 << 30
        public var fileBytes = 1 << 20
        public var openFiles = 64
        public var processes = 64
        public var outputBytes = 1 << 16
        public init() {}
    }

    /// How strongly the command was isolated.
    public enum Isolation: Sendable, Equatable {
        case bubblewrap
        /// Bubblewrap is missing: the deadline and rlimits apply, but not the network or
        /// filesystem isolation. The string says why.
        case reduced(String)
    }

    /// What a run produced.
    public struct Outcome: Sendable {
        public let exitCode: Int32?
        public let signal: Int32?
        public let stdout: Data
        public let stderr: Data
        public let timedOut: Bool
        public let outputTooLarge: Bool
        public let isolation: Isolation
        public let seconds: Double
    }

    static let bubblewrap: String? = ["/usr/bin/bwrap", "/bin/bwrap", "/usr/local/bin/bwrap"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// The isolation this machine gives.
    public static var isolation: Isolation {
        bubblewrap == nil ? .reduced("bubblewrap (bwrap) is not installed: no network or filesystem isolation, only the deadline and resource limits")
            : .bubblewrap
    }

    /// Runs `command` through `sh -c` in `directory` (bound read-only), writing `input` to its stdin.
    public static func run(_ command: String, input: Data, directory: String, limits: Limits = Limits()) -> Outcome {
        var argv: [String] = []
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/setsid") { argv.append("/usr/bin/setsid") }
        if getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") {
            argv += ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        }
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit") {
            argv += ["/usr/bin/prlimit", "--cpu=\(limits.cpuSeconds)", "--as=\(limits.memoryBytes)",
                     "--fsize=\(limits.fileBytes)", "--nofile=\(limits.openFiles)", "--nproc=\(limits.processes)", "--"]
        }
        if let bwrap = bubblewrap {
            argv += [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--ro-bind", "/", "/",
                     "--tmpfs", "/tmp", "--proc", "/proc", "--dev", "/dev",
                     "--ro-bind", directory, directory, "--chdir", directory]
        }
        argv += ["/bin/sh", "-c", "cd \"$SANDBOX_DIRECTORY\" && " + command]
        return spawn(argv, input: input, directory: directory, limits: limits)
    }

    static func spawn(_ argv: [String], input: Data, directory: String, limits: Limits) -> Outcome {
        let start = Date()
        var stdinPipe: [Int32] = [0, 0], stdoutPipe: [Int32] = [0, 0], stderrPipe: [Int32] = [0, 0]
        guard pipe(&stdinPipe) == 0, pipe(&stdoutPipe) == 0, pipe(&stderrPipe) == 0 else {
            return Outcome(exitCode: nil, signal: nil, stdout: Data(), stderr: Data("cannot create pipes".utf8),
                           timedOut: false, outputTooLarge: false, isolation: isolation, seconds: 0)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)
        for fd in stdinPipe + stdoutPipe + stderrPipe { posix_spawn_file_actions_addclose(&actions, fd) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        var pid: pid_t = 0
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        let variables = ["PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/tmp", "LANG=C.UTF-8", "SANDBOX_DIRECTORY=" + directory]
        let env: [UnsafeMutablePointer<CChar>?] = variables.map { strdup($0) } + [nil]
        defer { env.forEach { free($0) } }
        let spawned = posix_spawn(&pid, argv[0], &actions, &attributes, cArgs, env)
        close(stdinPipe[0]); close(stdoutPipe[1]); close(stderrPipe[1])
        guard spawned == 0 else {
            close(stdinPipe[1]); close(stdoutPipe[0]); close(stderrPipe[0])
            return Outcome(exitCode: nil, signal: nil, stdout: Data(),
                           stderr: Data("cannot start \(argv[0]): \(String(cString: strerror(spawned)))".utf8),
                           timedOut: false, outputTooLarge: false, isolation: isolation, seconds: 0)
        }
        // Feed stdin without blocking forever on a child that never reads it.
        _ = fcntl(stdinPipe[1], F_SETFL, fcntl(stdinPipe[1], F_GETFL) | O_NONBLOCK)
        var pendingInput = input
        var out = Data(), err = Data()
        var timedOut = false, tooLarge = false
        var open: [Int32] = [stdoutPipe[0], stderrPipe[0]]
        let deadline = start.addingTimeInterval(limits.wallSeconds)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !open.isEmpty || !pendingInput.isEmpty {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { timedOut = true; break }
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if !pendingInput.isEmpty { fds.append(pollfd(fd: stdinPipe[1], events: Int16(POLLOUT), revents: 0)) }
            let ready = poll(&fds, nfds_t(fds.count), Int32(min(remaining, 0.1) * 1000) + 1)
            if ready < 0 && errno != EINTR { break }
            for f in fds where f.revents != 0 {
                if f.fd == stdinPipe[1] {
                    let n = pendingInput.withUnsafeBytes { write(f.fd, $0.baseAddress, $0.count) }
                    if n > 0 { pendingInput.removeFirst(n) } else { pendingInput.removeAll() }
                    if pendingInput.isEmpty { close(stdinPipe[1]) }
                    continue
                }
                let n = read(f.fd, &buffer, buffer.count)
                if n <= 0 { open.removeAll { $0 == f.fd }; continue }
                if f.fd == stdoutPipe[0] { out.append(contentsOf: buffer[0..<n]) } else if err.count < limits.outputBytes {
                    err.append(contentsOf: buffer[0..<min(n, limits.outputBytes - err.count)])
                }
                if out.count > limits.outputBytes { tooLarge = true }
            }
            if tooLarge { break }
        }
        if !pendingInput.isEmpty { close(stdinPipe[1]) }
        if timedOut || tooLarge { kill(-pid, SIGKILL); kill(pid, SIGKILL) }
        close(stdoutPipe[0]); close(stderrPipe[0])
        var status: Int32 = 0
        // The session leader has exited or been killed; reap it (bounded, in case it ignores EOF).
        let reapDeadline = Date().addingTimeInterval(2)
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Date() > reapDeadline { kill(-pid, SIGKILL); kill(pid, SIGKILL); waitpid(pid, &status, 0); break }
            usleep(1000)
        }
        // Anything still alive in the session goes too.
        kill(-pid, SIGKILL)
        let exited = status & 0x7F == 0
        return Outcome(exitCode: exited ? (status >> 8) & 0xFF : nil, signal: exited ? nil : status & 0x7F,
                       stdout: tooLarge ? out.prefix(limits.outputBytes) : out, stderr: err, timedOut: timedOut,
                       outputTooLarge: tooLarge, isolation: isolation, seconds: Date().timeIntervalSince(start))
    }
}
