import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Model
import Testing
import TestSupport

/// `strawberry serve` as a process: SIGTERM lets the request in flight finish, a second signal
/// ends it at once, a model that fails to load ends it with the reason.
@Suite struct ServeProcessTests {
    static let executable = StrawberryProcess.executable

    @Test func sigtermFinishesTheRequestInFlight() async throws {
        let executable = try #require(Self.executable, "the strawberry executable is built beside the tests")
        let dir = Scratch.path("strawberry-serve")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = try Transformer(config: ModelConfig.slow(context: 2048), seed: 4)
        try Checkpoint.save(model: model, state: Optional<Int>.none, to: dir)

        let server = Process()
        server.executableURL = URL(fileURLWithPath: executable)
        server.arguments = ["serve", "--model", dir, "--name", "m", "--port", "0", "--effort", "high=1600"]
        let stderr = Pipe()
        server.standardError = stderr
        server.standardOutput = FileHandle.nullDevice
        try server.run()
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        // The startup line names the port.
        var output = ""
        var port: Int?
        while port == nil {
            let data = stderr.fileHandleForReading.availableData
            if data.isEmpty { break }
            output += String(decoding: data, as: UTF8.self)
            if let range = output.range(of: #"http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                port = Int(output[range].split(separator: ":").last!)
            }
        }
        let p = try #require(port, "no startup line: \(output)")
        var health = URLRequest(url: URL(string: "http://127.0.0.1:\(p)/health")!)
        health.timeoutInterval = 5
        while ((try? await URLSession.shared.data(for: health))?.1 as? HTTPURLResponse)?.statusCode != 200 {
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        // SIGTERM only once this request is decoding: its stream has carried thinking. The stream's
        // own delegate sends it the moment that first thinking arrives, on URLSession's thread, so a
        // test thread starved on a loaded machine cannot miss the request in flight. (A connection
        // that arrives after SIGTERM is rightly refused.)
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(p)/v1/chat/completions")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONSerialization.data(withJSONObject: [
            "model": "m", "n": 4, "stream": true, "temperature": 1, "seed": 3, "reasoning_effort": "high",
            "messages": [["role": "user", "content": "think hard"]]])
        let serverID = server.processIdentifier
        let stream = StreamReader(onFirstThinking: { kill(serverID, SIGTERM) })
        let session = URLSession(configuration: .ephemeral, delegate: stream, delegateQueue: nil)
        defer { session.invalidateAndCancel() }
        session.dataTask(with: request).resume()
        while !stream.isDone { try await Task.sleep(nanoseconds: 10_000_000) }
        let atSignal = try #require(stream.textAtFirstThinking, "the stream never carried thinking: \(stream.text.suffix(300))")
        try #require(!atSignal.contains("[DONE]"), "the request was still decoding when it was seen to think: \(atSignal.suffix(300))")
        #expect(stream.failure == nil && stream.status == 200)
        let events = stream.text.components(separatedBy: "\n\n").filter { $0.hasPrefix("data: ") }
        #expect(events.last == "data: [DONE]", "the whole stream arrived")
        let finishes = events.filter { $0.contains("\"finish_reason\":\"") }.count
        #expect(finishes == 4, "every choice finished: \(finishes)")
        for _ in 0..<3000 where server.isRunning { try await Task.sleep(nanoseconds: 10_000_000) }
        #expect(!server.isRunning && server.terminationStatus == 0, "the server exits cleanly after SIGTERM")
    }
}

extension ServeProcessTests {
    /// Starts `serve` on a free port; returns the process, its stderr and the port.
    static func serve(_ arguments: [String]) throws -> (Process, Pipe, Int?) {
        let stderr = Pipe()
        let server = try StrawberryProcess.start(["serve", "--port", "0"] + arguments, stderr: stderr)
        let (_, match) = StrawberryProcess.read(stderr, until: #"http://127\.0\.0\.1:\d+"#)
        return (server, stderr, match.flatMap { Int($0.split(separator: ":").last!) })
    }

    @Test func aSecondSignalEndsTheServerAtOnce() async throws {
        let dir = Scratch.path("strawberry-serve")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = try Transformer(config: ModelConfig.slow(context: 4096), seed: 4)
        try Checkpoint.save(model: model, state: Optional<Int>.none, to: dir)
        let (server, stderr, port) = try Self.serve(["--model", dir, "--name", "m", "--timeout", "3600", "--effort", "high=4000,vote:4"])
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        let p = try #require(port, "no startup line")
        var health = URLRequest(url: URL(string: "http://127.0.0.1:\(p)/health")!)
        health.timeoutInterval = 5
        while server.isRunning, ((try? await URLSession.shared.data(for: health))?.1 as? HTTPURLResponse)?.statusCode != 200 {
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(p)/v1/chat/completions")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.timeoutInterval = 3600
        request.httpBody = try JSONSerialization.data(withJSONObject: [
            // Greedy: a random model then rarely closes its thinking, so the request runs for minutes.
            "model": "m", "n": 4, "temperature": 0, "reasoning_effort": "high", "messages": [["role": "user", "content": "think for long"]]])
        let finished = Flag()
        let inFlight = Task { defer { finished.raise() }; return try? await URLSession.shared.data(for: request) }
        // Signal once the request is decoding, so that the first signal has work to wait for.
        var metrics = URLRequest(url: URL(string: "http://127.0.0.1:\(p)/metrics")!)
        metrics.timeoutInterval = 5
        var decoding = false
        while !decoding && server.isRunning && !finished.isRaised {
            if let (data, _) = try? await URLSession.shared.data(for: metrics) {
                decoding = String(decoding: data, as: UTF8.self).split(separator: "\n")
                    .contains { $0.hasPrefix("strawberry_decoding ") && !$0.hasSuffix(" 0") }
            }
            if !decoding { try await Task.sleep(nanoseconds: 10_000_000) }
        }
        try #require(decoding, "the request reached its slots")
        kill(server.processIdentifier, SIGTERM)
        // The second signal only once the server says it took the first (two signals pending
        // together would merge into one; a health check that fails may only have timed out).
        let (said, taken) = StrawberryProcess.read(stderr, until: "finishing the requests in flight")
        try #require(taken != nil, "the server never took the first signal: \(said.suffix(300))")
        kill(server.processIdentifier, SIGTERM)
        let reply = await inFlight.value
        for _ in 0..<6000 where server.isRunning { try await Task.sleep(nanoseconds: 10_000_000) }
        #expect(!server.isRunning && server.terminationStatus != 0, "a forced exit, not a clean one")
        #expect((reply?.1 as? HTTPURLResponse)?.statusCode != 200 || reply?.0.isEmpty == true,
                "the request did not run to its end: the second signal ended the server")
    }

    @Test func aModelThatFailsToLoadEndsServeWithItsReason() throws {
        let dir = Scratch.path("strawberry-serve")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = try Transformer(config: ModelConfig.tiny(layers: 1, context: 64), seed: 4)
        try Checkpoint.save(model: model, state: Optional<Int>.none, to: dir)
        let weights = dir + "/" + Checkpoint.modelFile
        let bytes = try Data(contentsOf: URL(fileURLWithPath: weights))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: weights))
        let (status, output) = try StrawberryProcess.run(["serve", "--model", dir, "--port", "0"])
        #expect(status != 0, "serve exits non-zero so that a supervisor restarts it: \(output)")
        #expect(output.contains("truncated"), "the reason is logged: \(output)")
    }

    @Test func theAccessLogNamesEachRequest() async throws {
        let dir = Scratch.path("strawberry-access-log")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = try Transformer(config: ModelConfig.tiny(layers: 1, context: 64), seed: 4)
        try Checkpoint.save(model: model, state: Optional<Int>.none, to: dir)
        let (server, stderr, port) = try Self.serve(["--model", dir, "--access-log"])
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        let p = try #require(port, "no startup line")
        var health = URLRequest(url: URL(string: "http://127.0.0.1:\(p)/health?probe=access-log")!)
        health.timeoutInterval = 30
        _ = try await URLSession.shared.data(for: health)
        // The line is logged before the response is sent; stopping the server then ends stderr,
        // so the read below ends at the line or at the end, never waits on a clock.
        kill(server.processIdentifier, SIGTERM)
        let (output, match) = StrawberryProcess.read(stderr, until: #"/health\?probe=access-log"#)
        #expect(match != nil && output.contains("GET"), "\(output)")
    }

    @Test func anEmptyAPIKeyIsRefused() throws {
        let (status, output) = try StrawberryProcess.run(["serve", "--model", "/nonexistent", "--api-key", ""])
        #expect(status != 0 && output.contains("--api-key"), "\(output)")
    }
}

/// Collects a streamed response as it arrives, so a test can act on what it has read so far.
final class StreamReader: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let lock = NSLock()
    /// Called once, on URLSession's thread, when the stream first carries thinking.
    private let onFirstThinking: (@Sendable () -> Void)?
    private var atFirstThinking: String?
    private var received = Data()
    private var finished = false
    private var error: (any Error)?
    private var statusCode: Int?

    var text: String { lock.withLock { String(decoding: received, as: UTF8.self) } }
    var isDone: Bool { lock.withLock { finished } }
    var failure: (any Error)? { lock.withLock { error } }
    var status: Int? { lock.withLock { statusCode } }
    /// What had arrived when the stream first carried thinking (nil until then).
    var textAtFirstThinking: String? { lock.withLock { atFirstThinking } }

    init(onFirstThinking: (@Sendable () -> Void)? = nil) {
        self.onFirstThinking = onFirstThinking
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void) {
        lock.withLock { statusCode = (response as? HTTPURLResponse)?.statusCode }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let first: Bool = lock.withLock {
            received.append(data)
            guard atFirstThinking == nil else { return false }
            let text = String(decoding: received, as: UTF8.self)
            guard text.contains("\"reasoning_content\"") else { return false }
            atFirstThinking = text
            return true
        }
        if first { onFirstThinking?() }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        lock.withLock {
            self.error = error
            finished = true
        }
    }
}
