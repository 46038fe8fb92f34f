import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Model
import Serving
import TestSupport

/// A server on a free loopback port in this process, serving a small random model.
final class TestServer: @unchecked Sendable {
    let port: Int
    private let task: Task<Void, any Error>
    static let modelName = "test-model"

    static func options() -> ServeOptions {
        var options = ServeOptions(modelName: modelName)
        try! options.efforts.apply("low=4")
        try! options.efforts.apply("medium=16")
        try! options.efforts.apply("high=40,vote:3")
        options.maxAnswer = 12
        return options
    }

    static let model = try! Transformer(config: ModelConfig.tiny(context: 128), seed: 11)

    /// A model slow enough, and a "high" effort long enough (`thinkingLong`), that a greedy request
    /// is still decoding seconds after its client leaves, on any machine: greedy, this random model
    /// does not close its thinking, so the request runs to its whole budget (about 2,000 steps).
    static let slowModel = try! Transformer(config: ModelConfig.slow(context: 2048), seed: 2)

    static func thinkingLong(_ configuration: inout ServerConfiguration) {
        configuration.options.timeout = 3600
        try! configuration.options.efforts.apply("high=1900")
    }

    /// Loading waits for `loadGate` when given (a slow checkpoint read); `waitUntilReady` false
    /// returns as soon as the server listens, while the model may still be loading.
    init(model: Transformer = TestServer.model, loadGate: DispatchSemaphore? = nil, waitUntilReady: Bool = true,
         configure: (inout ServerConfiguration) -> Void = { _ in }) async throws {
        var configuration = ServerConfiguration(options: Self.options())
        configuration.port = 0
        configure(&configuration)
        let (ports, found) = AsyncStream<Int>.makeStream()
        let app = StrawberryServer.application(configuration, load: { loadGate?.wait(); return model }) { found.yield($0) }
        task = Task { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        port = await iterator.next() ?? 0
        // Readiness is asked with `Connection: close`, so that no pooled connection of this
        // process's URLSession is left counting against the server's connection limit.
        let health = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        for _ in 0..<(waitUntilReady ? 500 : 0) {
            if (try? await RawConnection.exchange(port: port, health))??.status == 200 { return }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
    }

    func stop() { task.cancel() }

    struct Reply {
        let status: Int
        let body: Data
        let headers: [AnyHashable: Any]
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var text: String { String(decoding: body, as: UTF8.self) }
        var error: [String: Any]? { json["error"] as? [String: Any] }
    }

    static let session: URLSession = {
        let c = URLSessionConfiguration.ephemeral
        c.httpMaximumConnectionsPerHost = 64
        // Only a hung server should hit it: on a loaded machine one call has taken over a minute.
        c.timeoutIntervalForRequest = 600
        return URLSession(configuration: c)
    }()

    func request(_ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:]) async throws -> Reply {
        var r = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        r.httpMethod = method
        r.httpBody = body
        r.setValue("application/json", forHTTPHeaderField: "Content-Type")
        for (k, v) in headers { r.setValue(v, forHTTPHeaderField: k) }
        let (data, response) = try await Self.session.data(for: r)
        let http = response as! HTTPURLResponse
        return Reply(status: http.statusCode, body: data, headers: http.allHeaderFields)
    }

    func get(_ path: String, headers: [String: String] = [:]) async throws -> Reply {
        try await request("GET", path, headers: headers)
    }

    func chat(_ fields: [String: Any], headers: [String: String] = [:]) async throws -> Reply {
        var body: [String: Any] = ["model": Self.modelName, "messages": [["role": "user", "content": "Use 3 5 7 to make 22"]]]
        body.merge(fields) { $1 }
        return try await request("POST", "/v1/chat/completions", body: try JSONSerialization.data(withJSONObject: body), headers: headers)
    }
}
