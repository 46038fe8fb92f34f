import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Model
import Testing
import TestSupport
@testable import Serving

/// What an attacker or a careless client sends: odd spellings of protected paths, abandoned and
/// half-sent requests, idle sockets, cross-site requests, and HTTP the client library would not send.
@Suite(.serialized) struct HardeningTests {
    static let chatBody = #"{"model":"test-model","messages":[{"role":"user","content":"hi"}],"max_tokens":2}"#

    static func post(_ path: String, body: String = chatBody, headers: [String] = ["Content-Type: application/json"]) -> String {
        (["POST \(path) HTTP/1.1", "Host: 127.0.0.1", "Connection: close", "Content-Length: \(body.utf8.count)"] + headers)
            .joined(separator: "\r\n") + "\r\n\r\n" + body
    }

    static func get(_ path: String, method: String = "GET", headers: [String] = []) -> String {
        (["\(method) \(path) HTTP/1.1", "Host: 127.0.0.1", "Connection: close"] + headers).joined(separator: "\r\n") + "\r\n\r\n"
    }

    @Test func everySpellingOfAProtectedPathNeedsTheKey() async throws {
        let server = try await TestServer { $0.apiKey = "sk-test" }
        defer { server.stop() }
        let spellings = ["/v1/models", "//v1/models", "///v1/models", "/v1//models", "/v1/models/", "/./v1/models",
                         "/v1/./models", "/v1/../v1/models", "/%76%31/models", "/v1%2Fmodels", "/V1/models",
                         "/v1/models?x=1", "/v1/models/test-model", "//v1/models/test-model",
                         "http://127.0.0.1:\(server.port)/v1/models", "http://127.0.0.1:\(server.port)//v1/models", "/metrics",
                         "//metrics"]
        for path in spellings {
            let reply = try #require(try await RawConnection.exchange(port: server.port, Self.get(path)), "\(path): no response")
            #expect(!(200..<300).contains(reply.status), "GET \(path) answered \(reply.status) without the key")
        }
        for path in ["/v1/chat/completions", "//v1/chat/completions", "/v1//chat/completions", "///v1/chat/completions",
                     "/v1/chat/completions/", "/./v1/chat/completions", "http://127.0.0.1:\(server.port)//v1/chat/completions"] {
            for stream in [false, true] {
                let body = stream ? Self.chatBody.replacingOccurrences(of: "}]", with: "}],\"stream\":true") : Self.chatBody
                let reply = try #require(try await RawConnection.exchange(port: server.port, Self.post(path, body: body)), "\(path): no response")
                #expect(!(200..<300).contains(reply.status), "POST \(path) (stream \(stream)) answered \(reply.status) without the key")
                #expect(!reply.text.contains("chat.completion"), "POST \(path) generated without the key")
            }
        }
        let authorized = try #require(try await RawConnection.exchange(port: server.port, Self.get("//v1/models", headers: ["Authorization: Bearer sk-test"])))
        #expect(authorized.status == 200, "the key still opens the door")
        #expect(try await RawConnection.exchange(port: server.port, Self.get("/health"))?.status == 200)
    }

    @Test func metricsCanStayOpenBesideAKey() async throws {
        let server = try await TestServer { $0.apiKey = "sk-test"; $0.publicMetrics = true }
        defer { server.stop() }
        #expect(try await server.get("/metrics").status == 200)
        #expect(try await server.get("/v1/models").status == 401)
    }

    static func metricValue(_ metrics: String, _ name: String) -> Int? {
        metrics.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Int($0.split(separator: " ").last!) }
    }

    /// Waits (polling, with a generous bound) until the server's metrics satisfy `condition`.
    static func waitForMetrics(_ server: TestServer, seconds: Double = 120, _ condition: (String) -> Bool) async throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var metrics = ""
        while Date() < deadline {
            metrics = try await server.get("/metrics").text
            if condition(metrics) { return metrics }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        return metrics
    }

    @Test func aClientThatClosesWhileWaitingForAPlainCompletionFreesItsSlots() async throws {
        let server = try await TestServer(model: TestServer.slowModel) { TestServer.thinkingLong(&$0) }
        defer { server.stop() }
        let body = #"{"model":"test-model","n":8,"temperature":0,"reasoning_effort":"high","messages":[{"role":"user","content":"think"}]}"#
        var connection: RawConnection? = try RawConnection(port: server.port)
        try connection!.send(Self.post("/v1/chat/completions", body: body))
        let decoding = try await Self.waitForMetrics(server) { Self.metricValue($0, "strawberry_decoding") == 8 }
        #expect(Self.metricValue(decoding, "strawberry_decoding") == 8, "the request reached its slots: \(decoding)")
        connection!.closeWriting()
        connection = nil  // close(2): the client is gone
        let after = try await Self.waitForMetrics(server) {
            Self.metricValue($0, "strawberry_decoding") == 0 && $0.contains("strawberry_requests_total{status=\"499\"} 1")
        }
        #expect(after.contains("strawberry_requests_total{status=\"499\"} 1"), "the close was noticed and counted as 499: \(after)")
        #expect(Self.metricValue(after, "strawberry_decoding") == 0, "\(after)")
        #expect(!after.contains("status=\"200\""), "an abandoned request is not logged as answered")
        #expect(try await server.chat([:]).status == 200)
    }

    @Test func aHalfSentHeadIsClosedAtTheHeaderTimeout() async throws {
        let server = try await TestServer { $0.headerTimeout = 0.5; $0.idleTimeout = 600 }
        defer { server.stop() }
        let slowloris = try RawConnection(port: server.port)
        try slowloris.send("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        #expect(await slowloris.readUntilClosed() != nil, "the server closed the half-sent request")
        #expect(try await server.chat([:]).status == 200)
    }

    @Test func anIdleConnectionIsClosedAtTheIdleTimeout() async throws {
        let server = try await TestServer { $0.idleTimeout = 0.5 }
        defer { server.stop() }
        let idle = try RawConnection(port: server.port)
        #expect(await idle.readUntilClosed() != nil, "an idle connection was closed")
        let kept = try RawConnection(port: server.port)
        try kept.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        #expect(await kept.readResponse()?.status == 200)
        #expect(await kept.readUntilClosed() != nil, "a keep-alive connection left idle after its response was closed")
    }

    @Test func theConnectionCapHoldsNewConnectionsUntilOneCloses() async throws {
        let server = try await TestServer { $0.maxConnections = 2; $0.idleTimeout = 600 }
        defer { server.stop() }
        // Two keep-alive connections, each known to be accepted since it was answered.
        var held: [RawConnection] = []
        for _ in 0..<2 {
            let c = try RawConnection(port: server.port)
            try c.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(await c.readResponse()?.status == 200)
            held.append(c)
        }
        let third = try RawConnection(port: server.port)
        try third.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        // A slow machine only delays an answer, so none within a second means the cap held it back.
        #expect(await third.readResponse(seconds: 1) == nil, "a third connection was served beyond the cap of 2")
        held.removeFirst()  // closes one
        #expect(await third.readResponse()?.status == 200, "the held connection is served once one closes")
    }

    @Test func aModelThatFailsToLoadEndsTheServerWithTheReason() async throws {
        var configuration = ServerConfiguration(options: TestServer.options())
        configuration.port = 0
        let app = StrawberryServer.application(configuration, load: { throw ModelError.checkpoint("weights are corrupt") })
        do {
            try await app.run()
            Issue.record("the server kept running without a model")
        } catch {
            #expect("\(error)".contains("weights are corrupt"), "\(error)")
        }
    }

    @Test func wrongMethodsGet405WithAllowAndHeadIsAnswered() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        let put = try #require(try await RawConnection.exchange(port: server.port, Self.get("/v1/chat/completions", method: "PUT")))
        #expect(put.status == 405 && put.headers["allow"] == "POST", "\(put.status) \(put.headers)")
        #expect(put.text.contains("method_not_allowed"))
        let getChat = try #require(try await RawConnection.exchange(port: server.port, Self.get("/v1/chat/completions")))
        #expect(getChat.status == 405 && getChat.headers["allow"] == "POST")
        let postModels = try #require(try await RawConnection.exchange(port: server.port, Self.post("/v1/models")))
        #expect(postModels.status == 405 && postModels.headers["allow"] == "GET, HEAD")
        let head = try #require(try await RawConnection.exchange(port: server.port, Self.get("/", method: "HEAD")))
        #expect(head.status == 200 && head.body.isEmpty && head.headers["content-type"]?.hasPrefix("text/html") == true)
        #expect(try await RawConnection.exchange(port: server.port, Self.get("/health", method: "HEAD"))?.status == 200)
        #expect(try await RawConnection.exchange(port: server.port, Self.get("/nothing"))?.status == 404)
    }

    @Test func http10WithoutKeepAliveIsAnsweredIn10AndClosed() async throws {
        let server = try await TestServer { $0.idleTimeout = 600 }
        defer { server.stop() }
        let plain = try RawConnection(port: server.port)
        try plain.send("GET /health HTTP/1.0\r\n\r\n")
        let closed = try #require(await plain.readUntilClosed(), "the server closed the HTTP/1.0 connection after its response")
        let health = try #require(RawResponse(closed))
        #expect(health.status == 200 && health.version == "HTTP/1.0")
        let body = Self.chatBody.replacingOccurrences(of: "}]", with: "}],\"stream\":true")
        let streaming = try RawConnection(port: server.port)
        try streaming.send("POST /v1/chat/completions HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body)
        let streamed = try #require(await streaming.readUntilClosed().flatMap(RawResponse.init), "the stream ended with the connection")
        #expect(streamed.status == 200 && streamed.version == "HTTP/1.0")
        #expect(streamed.headers["transfer-encoding"] == nil, "no chunked encoding for HTTP/1.0: \(streamed.headers)")
        #expect(streamed.text.hasPrefix("data: ") && streamed.text.hasSuffix("data: [DONE]\n\n"), "\(streamed.text)")
        // HTTP/1.0 with keep-alive stays open for the next request.
        let kept = try RawConnection(port: server.port)
        try kept.send("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(await kept.readResponse()?.status == 200)
        try kept.send("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(await kept.readResponse()?.status == 200)
    }

    @Test func anAbortedUploadIsNotReportedAsTooLarge() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        var upload: RawConnection? = try RawConnection(port: server.port)
        try upload!.send("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"model\":")
        upload!.closeWriting()
        upload = nil
        let metrics = try await Self.waitForMetrics(server) { $0.contains("strawberry_requests_total{status=\"499\"} 1") }
        #expect(metrics.contains("strawberry_requests_total{status=\"499\"} 1"), "\(metrics)")
        #expect(!metrics.contains("status=\"413\""), "\(metrics)")
    }

    @Test func crossSiteAndRebindingRequestsAreRefused() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        let textPlain = try #require(try await RawConnection.exchange(port: server.port, Self.post("/v1/chat/completions", headers: ["Content-Type: text/plain"])))
        #expect(textPlain.status == 415 && textPlain.text.contains("Content-Type"), "\(textPlain.status) \(textPlain.text)")
        let noType = try #require(try await RawConnection.exchange(port: server.port, Self.post("/v1/chat/completions", headers: [])))
        #expect(noType.status == 415)
        let foreign = try #require(try await RawConnection.exchange(port: server.port, Self.post("/v1/chat/completions",
            headers: ["Content-Type: application/json", "Origin: http://evil.example"])))
        #expect(foreign.status == 403 && foreign.text.contains("evil.example"), "\(foreign.status) \(foreign.text)")
        let rebound = "POST /v1/chat/completions HTTP/1.1\r\nHost: evil.example:\(server.port)\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: \(Self.chatBody.utf8.count)\r\n\r\n" + Self.chatBody
        let rebinding = try #require(try await RawConnection.exchange(port: server.port, rebound))
        #expect(rebinding.status == 403 && rebinding.text.contains("Host"), "\(rebinding.status) \(rebinding.text)")
        // The chat page's own requests: same origin, JSON.
        let page = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nOrigin: http://127.0.0.1:\(server.port)\r\nContent-Length: \(Self.chatBody.utf8.count)\r\n\r\n" + Self.chatBody
        let sameOrigin = try #require(try await RawConnection.exchange(port: server.port, page))
        #expect(sameOrigin.status == 200, "\(sameOrigin.status) \(sameOrigin.text)")
        let localhost = "GET /health HTTP/1.1\r\nHost: localhost:\(server.port)\r\nConnection: close\r\n\r\n"
        #expect(try await RawConnection.exchange(port: server.port, localhost)?.status == 200)
    }

    @Test func configuredOriginsAndHostsAreLetThrough() async throws {
        let server = try await TestServer { $0.corsOrigins = ["https://app.example"]; $0.allowedHosts = ["strawberry.internal"] }
        defer { server.stop() }
        let preflight = try #require(try await RawConnection.exchange(port: server.port, Self.get("/v1/chat/completions", method: "OPTIONS",
            headers: ["Origin: https://app.example", "Access-Control-Request-Method: POST", "Access-Control-Request-Headers: content-type"])))
        #expect((200..<300).contains(preflight.status) && preflight.headers["access-control-allow-origin"] == "https://app.example",
                "\(preflight.status) \(preflight.headers)")
        let allowed = try #require(try await RawConnection.exchange(port: server.port, Self.post("/v1/chat/completions",
            headers: ["Content-Type: application/json", "Origin: https://app.example"])))
        #expect(allowed.status == 200 && allowed.headers["access-control-allow-origin"] == "https://app.example")
        let other = try #require(try await RawConnection.exchange(port: server.port, Self.post("/v1/chat/completions",
            headers: ["Content-Type: application/json", "Origin: https://other.example"])))
        #expect(other.status == 403)
        let named = "GET /health HTTP/1.1\r\nHost: strawberry.internal\r\nConnection: close\r\n\r\n"
        #expect(try await RawConnection.exchange(port: server.port, named)?.status == 200)
    }
}
