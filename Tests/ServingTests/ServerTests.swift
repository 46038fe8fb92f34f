import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Model
import Testing
import TestSupport
@testable import Serving

/// The server over real HTTP on loopback, in this process.
@Suite(.serialized) struct ServerTests {
    /// Reassembles a streamed response: per-choice content and reasoning, finish reasons, usage.
    struct Stream {
        var content: [Int: String] = [:], reasoning: [Int: String] = [:], finish: [Int: String] = [:]
        var usage: [String: Any]?
        var endedWithDone = false

        init(_ text: String) throws {
            let events = text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
            for (i, event) in events.enumerated() {
                guard event.hasPrefix("data: ") else { throw StreamError.notAnEvent(event) }
                let data = event.dropFirst(6)
                if data == "[DONE]" { endedWithDone = i == events.count - 1; continue }
                let chunk = try JSONSerialization.jsonObject(with: Data(data.utf8)) as! [String: Any]
                #expect(chunk["object"] as? String == "chat.completion.chunk")
                if let u = chunk["usage"] as? [String: Any] { usage = u }
                for choice in chunk["choices"] as! [[String: Any]] {
                    let index = choice["index"] as! Int
                    let delta = choice["delta"] as! [String: Any]
                    content[index, default: ""] += delta["content"] as? String ?? ""
                    reasoning[index, default: ""] += delta["reasoning_content"] as? String ?? ""
                    if let f = choice["finish_reason"] as? String { finish[index] = f }
                }
            }
        }
    }
    enum StreamError: Error { case notAnEvent(String) }

    static func reasoningTokens(_ usage: [String: Any]?) -> Int? {
        (usage?["completion_tokens_details"] as? [String: Any])?["reasoning_tokens"] as? Int
    }

    @Test func healthModelsMetricsAndThePage() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        #expect(try await server.get("/health").json["status"] as? String == "ok")
        let models = try await server.get("/v1/models").json
        #expect(((models["data"] as? [[String: Any]])?.first?["id"] as? String) == TestServer.modelName)
        #expect(try await server.get("/v1/models/\(TestServer.modelName)").status == 200)
        #expect(try await server.get("/v1/models/other").status == 404)
        let page = try await server.get("/")
        #expect(page.status == 200 && page.text.contains("createElement") && page.text.contains("\"details\"") && page.text.contains("reasoning_content"))
        #expect(!page.text.contains("src=\"http") && !page.text.contains("href=\"http"), "no external assets")
        _ = try await server.chat(["max_tokens": 4])
        let metrics = try await server.get("/metrics").text
        #expect(metrics.contains("strawberry_requests_total{status=\"200\"} 1"))
        #expect(metrics.contains("strawberry_request_duration_seconds_count 1") && metrics.contains("strawberry_slots 8"))
        // Latency as vLLM reports it: to the first token, to the first answer token, between tokens.
        #expect(metrics.contains("strawberry_time_to_first_token_seconds_count 1"))
        #expect(metrics.contains("# TYPE strawberry_time_to_first_answer_token_seconds histogram"))
        let gaps = metrics.split(separator: "\n").first { $0.hasPrefix("strawberry_inter_token_latency_seconds_count ") }
        #expect(gaps.flatMap { Int($0.split(separator: " ")[1]) } ?? 0 > 0, "\(metrics)")
    }

    @Test func healthSays503WhileTheModelLoads() async throws {
        let loaded = DispatchSemaphore(value: 0)
        let server = try await TestServer(loadGate: loaded, waitUntilReady: false)
        defer { server.stop() }
        let loading = try await server.get("/health")
        #expect(loading.status == 503 && loading.json["status"] as? String == "loading")
        let early = try await server.chat([:])
        #expect(early.status == 503 && early.error?["code"] as? String == "model_loading")
        loaded.signal()
        var status = 0
        for _ in 0..<500 where status != 200 {
            status = try await server.get("/health").status
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        #expect(status == 200)
        #expect(try await server.chat([:]).status == 200)
    }

    @Test func streamingReassemblesToTheSameCompletion() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        let fields: [String: Any] = ["seed": 42, "temperature": 1, "n": 2]
        let plain = try await server.chat(fields)
        #expect(plain.status == 200)
        let choices = plain.json["choices"] as! [[String: Any]]
        #expect(choices.count == 2 && plain.json["object"] as? String == "chat.completion")
        var streamFields = fields
        streamFields["stream"] = true
        streamFields["stream_options"] = ["include_usage": true]
        let streamed = try await server.chat(streamFields)
        #expect(streamed.status == 200 && (streamed.headers["Content-Type"] as? String)?.hasPrefix("text/event-stream") == true)
        let s = try Stream(streamed.text)
        #expect(s.endedWithDone)
        for (i, choice) in choices.enumerated() {
            let message = choice["message"] as! [String: Any]
            #expect(s.content[i] == message["content"] as? String)
            #expect(s.reasoning[i] == message["reasoning_content"] as? String)
            #expect(s.finish[i] == choice["finish_reason"] as? String)
        }
        let usage = plain.json["usage"] as? [String: Any]
        #expect(s.usage?["completion_tokens"] as? Int == usage?["completion_tokens"] as? Int)
        #expect(Self.reasoningTokens(s.usage) == Self.reasoningTokens(usage))
        #expect((usage?["total_tokens"] as? Int) == (usage?["prompt_tokens"] as! Int) + (usage?["completion_tokens"] as! Int))
    }

    @Test func anImportedModelIsServedInItsOwnChatFormat() async throws {
        let dir = Scratch.path("served")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try TinyHuggingFaceModel.write(.qwen2, to: dir)
        let model = try HuggingFaceImport.load(dir)
        let server = try await TestServer(model: model)
        defer { server.stop() }
        let fields: [String: Any] = ["seed": 7, "temperature": 1, "reasoning_effort": "low"]
        let plain = try await server.chat(fields)
        #expect(plain.status == 200)
        let usage = plain.json["usage"] as? [String: Any]
        #expect(usage?["prompt_tokens"] as? Int == model.vocabulary.prompt("Use 3 5 7 to make 22").count)
        #expect((1...4).contains(Self.reasoningTokens(usage) ?? 0))
        var streamFields = fields
        streamFields["stream"] = true
        let s = try Stream(try await server.chat(streamFields).text)
        let message = (plain.json["choices"] as! [[String: Any]])[0]["message"] as! [String: Any]
        #expect(s.content[0] == message["content"] as? String && s.reasoning[0] == message["reasoning_content"] as? String)
        #expect(!(message["reasoning_content"] as? String ?? "").contains("<think>"))
    }

    @Test func effortBudgetsAndLimitsShapeTheThinking() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        var tokens: [String: Int] = [:]
        for effort in ["low", "medium"] {
            let reply = try await server.chat(["reasoning_effort": effort, "temperature": 1, "seed": 7])
            tokens[effort] = Self.reasoningTokens(reply.json["usage"] as? [String: Any])
        }
        #expect(tokens["low"]! <= 4 && tokens["medium"]! <= 16 && tokens["low"]! < tokens["medium"]!, "\(tokens)")
        // high = three samples voting: their reasoning tokens are all billed.
        let high = try await server.chat(["reasoning_effort": "high", "temperature": 1, "seed": 3])
        #expect(Self.reasoningTokens(high.json["usage"] as? [String: Any])! > 40)
        // max_completion_tokens bounds thinking and answer together.
        let capped = try await server.chat(["max_completion_tokens": 6, "temperature": 1, "seed": 7])
        #expect((capped.json["usage"] as? [String: Any])?["completion_tokens"] as? Int ?? 99 <= 6)
        #expect(((capped.json["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String) == "length")
    }

    @Test func hiddenReasoningIsCountedButNotReturned() async throws {
        let server = try await TestServer { $0.options.hideReasoning = true }
        defer { server.stop() }
        let reply = try await server.chat(["temperature": 1, "seed": 7])
        let message = (reply.json["choices"] as! [[String: Any]])[0]["message"] as! [String: Any]
        #expect(message["reasoning_content"] == nil && message["content"] is String)
        #expect(Self.reasoningTokens(reply.json["usage"] as? [String: Any])! > 0)
        let s = try Stream(try await server.chat(["stream": true]).text)
        #expect(s.reasoning[0] == "" && s.endedWithDone)
    }

    @Test func badRequestsGetTheirStatusAndTheServerKeepsServing() async throws {
        let server = try await TestServer { $0.maxBodyBytes = 4096 }
        defer { server.stop() }
        let post = { (body: String) in try await server.request("POST", "/v1/chat/completions", body: Data(body.utf8)) }
        let cases: [(String, Int, String?)] = [
            ("{\"model\":", 400, "invalid_json"),
            (#"{"model":"test-model","messages":[]}"#, 400, "empty_array"),
            (#"{"model":"test-model","messages":[{"role":"user","content":"q"}],"temperature":"x"}"#, 400, "invalid_type"),
            (#"{"model":"test-model","messages":[{"role":"user","content":"q"}],"top_p":7}"#, 400, nil),
            (#"{"model":"nope","messages":[{"role":"user","content":"q"}]}"#, 404, "model_not_found"),
            (#"{"model":"test-model","messages":[{"role":"user","content":"\#(String(repeating: "x", count: 300))"}]}"#, 400, "context_length_exceeded"),
            (#"{"model":"test-model","messages":[{"role":"user","content":"\#(String(repeating: "x", count: 5000))"}]}"#, 413, "request_too_large"),
        ]
        for (body, status, code) in cases {
            let reply = try await post(body)
            #expect(reply.status == status, "\(body.prefix(80))")
            #expect(reply.error?["message"] is String && reply.error?["type"] is String, "\(reply.text)")
            #expect(reply.error?["code"] as? String == code, "\(reply.text)")
            #expect(reply.error?.keys.contains("param") == true)
        }
        #expect(try await server.get("/v1/nothing").status == 404)
        #expect(try await server.chat([:]).status == 200)
    }

    @Test func anAPIKeyGuardsTheAPIButNotHealth() async throws {
        let server = try await TestServer { $0.apiKey = "sk-test" }
        defer { server.stop() }
        #expect(try await server.chat([:]).status == 401)
        #expect(try await server.chat([:], headers: ["Authorization": "Bearer wrong"]).error?["code"] as? String == "invalid_api_key")
        #expect(try await server.chat([:], headers: ["Authorization": "Bearer sk-test"]).status == 200)
        #expect(try await server.get("/v1/models").status == 401)
        #expect(try await server.get("/health").status == 200)
    }

    @Test func aBoundedLoadIsAnsweredOrRefusedAndNothingIsLost() async throws {
        let server = try await TestServer { $0.slots = 4; $0.maxWaiting = 8 }
        defer { server.stop() }
        let total = 200, concurrency = 32
        var statuses: [Int] = []
        var retryAfter = true
        try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            var next = 0
            func add() {
                let i = next
                next += 1
                group.addTask {
                    let r = try await server.chat(["seed": i, "stream": i % 2 == 0])
                    if r.status == 200 && i % 2 == 0 { #expect(try Stream(r.text).endedWithDone) }
                    return (r.status, r.status != 429 || r.headers["Retry-After"] as? String == "1")
                }
            }
            for _ in 0..<concurrency { add() }
            while let (status, ok) = try await group.next() {
                statuses.append(status)
                retryAfter = retryAfter && ok
                if next < total { add() }
            }
        }
        #expect(statuses.count == total)
        #expect(statuses.allSatisfy { $0 == 200 || $0 == 429 }, "\(Set(statuses))")
        #expect(statuses.contains(200) && retryAfter)
        #expect(try await server.get("/health").status == 200)
        #expect(try await server.chat([:]).status == 200)
        let metrics = try await server.get("/metrics").text
        let answered = statuses.filter { $0 == 200 }.count + 1
        #expect(metrics.contains("strawberry_requests_total{status=\"200\"} \(answered)"))
        #expect(metrics.contains("strawberry_queue_waiting 0"))
        print("load: \(statuses.filter { $0 == 200 }.count) answered, \(statuses.filter { $0 == 429 }.count) refused with 429")
    }

    @Test func usageCountsEveryGeneratedToken() async throws {
        // Greedy, this model thinks in `<think>` markers the client never sees; they are still
        // generated, so they are counted, as the engine counts them.
        let server = try await TestServer(model: TestServer.slowModel) { TestServer.thinkingLong(&$0) }
        defer { server.stop() }
        let fields: [String: Any] = ["n": 2, "temperature": 0, "reasoning_effort": "medium"]
        let plain = try await server.chat(fields)
        let streamed = try await server.chat(fields.merging(["stream": true, "stream_options": ["include_usage": true]]) { $1 })
        for usage in [plain.json["usage"] as? [String: Any], try Stream(streamed.text).usage] {
            #expect(Self.reasoningTokens(usage) == 2 * 16, "the medium budget, thought out by both choices: \(plain.text.suffix(300))")
        }
    }

    @Test func aClientThatGoesAwayFreesItsSlot() async throws {
        // A greedy request that thinks to a long budget: still decoding long after the client leaves.
        let server = try await TestServer(model: TestServer.slowModel) { TestServer.thinkingLong(&$0) }
        defer { server.stop() }
        // A long streamed request, abandoned after a moment.
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(server.port)/v1/chat/completions")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONSerialization.data(withJSONObject: [
            "model": TestServer.modelName, "stream": true, "reasoning_effort": "high", "n": 8, "temperature": 0,
            "messages": [["role": "user", "content": "think"]]])
        let task = TestServer.session.dataTask(with: request)
        task.resume()
        // Leave once the server is decoding it (a loaded machine may take a while to connect).
        var metrics = ""
        for _ in 0..<1000 where !metrics.contains("strawberry_decoding 8") {
            metrics = try await server.get("/metrics").text
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        #expect(metrics.contains("strawberry_decoding 8"), "the request reached its slots: \(metrics)")
        task.cancel()
        for _ in 0..<500 {
            metrics = try await server.get("/metrics").text
            if metrics.contains("strawberry_decoding 0") && metrics.contains("strawberry_requests_total{status=\"499\"} 1") { break }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        #expect(metrics.contains("strawberry_requests_total{status=\"499\"} 1"), "the disconnect was noticed: \(metrics)")
        #expect(metrics.contains("strawberry_decoding 0") && metrics.contains("strawberry_queue_waiting 0"), "\(metrics)")
        #expect(try await server.chat([:]).status == 200)
    }
}
