import Foundation
import Testing
import Model
@testable import Serving

/// The per-request controls of the API: exact thinking budgets, every effort level and the
/// `reasoning` object, `max_completion_tokens` that leaves room to answer, `top_k`, `logprobs`,
/// refusals that name what is not supported, the context length and `/tokenize`.
@Suite(.serialized) struct ReasoningControlsTests {
    static func usage(_ reply: TestServer.Reply) -> (completion: Int, reasoning: Int) {
        let usage = reply.json["usage"] as! [String: Any]
        return (usage["completion_tokens"] as! Int, ServerTests.reasoningTokens(usage)!)
    }

    static func message(_ reply: TestServer.Reply) -> [String: Any] {
        (reply.json["choices"] as! [[String: Any]])[0]["message"] as! [String: Any]
    }

    @Test func anExactBudgetOrEffortBoundsTheThinking() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        for budget in [0, 3, 9] {
            let reply = try await server.chat(["thinking_token_budget": budget, "temperature": 1, "seed": 7])
            #expect(reply.status == 200)
            #expect(Self.usage(reply).reasoning <= budget, "budget \(budget): \(reply.text)")
            let viaObject = try await server.chat(["reasoning": ["max_tokens": budget], "temperature": 1, "seed": 7])
            #expect(Self.usage(viaObject).reasoning == Self.usage(reply).reasoning)
        }
        let none = try await server.chat(["reasoning_effort": "none", "temperature": 1, "seed": 7])
        #expect(Self.usage(none).reasoning == 0 && (Self.message(none)["reasoning_content"] as? String) == "")
        let low = try await server.chat(["reasoning": ["effort": "low"], "temperature": 1, "seed": 7])
        #expect(Self.usage(low).reasoning <= 4)
        for effort in ["minimal", "xhigh"] {
            #expect(try await server.chat(["reasoning_effort": effort, "seed": 1]).status == 200, "\(effort)")
        }
        let wrong = try await server.chat(["reasoning": ["effort": "huge"]])
        #expect(wrong.status == 400 && wrong.error?["param"] as? String == "reasoning.effort")
        #expect(try await server.chat(["thinking_token_budget": -1]).error?["param"] as? String == "thinking_token_budget")
    }

    /// A model trained to read its budget (`sft --budget-tags`) is shown, under the last user
    /// message, the level of the budget its request thinks under.
    @Test func aModelThatReadsItsBudgetSeesTheRequestsLevel() async throws {
        let tagged = try TestServer.model.readingBudgets([4, 16])
        let server = try await TestServer(model: tagged)
        defer { server.stop() }
        let vocabulary = tagged.vocabulary
        let messages: [[String: String]] = [["role": "user", "content": "first"], ["role": "assistant", "content": "ok"],
                                            ["role": "user", "content": "Use 3 5 7 to make 22"]]
        func promptTokens(_ reply: TestServer.Reply) -> Int? { (reply.json["usage"] as? [String: Any])?["prompt_tokens"] as? Int }
        func expected(_ level: Int) -> Int {
            vocabulary.prompt(conversation: [(.user, "first"), (.assistant, "ok"), (.user, "Use 3 5 7 to make 22\nbudget: \(level)")]).count
        }
        #expect(promptTokens(try await server.chat(["messages": messages, "thinking_token_budget": 3])) == expected(4))
        #expect(promptTokens(try await server.chat(["messages": messages, "thinking_token_budget": 9])) == expected(16))
        #expect(promptTokens(try await server.chat(["messages": messages, "reasoning_effort": "low"])) == expected(4))
        let plain = try await TestServer()
        defer { plain.stop() }
        #expect(promptTokens(try await plain.chat(["messages": messages, "thinking_token_budget": 9]))
                == vocabulary.prompt(conversation: [(.user, "first"), (.assistant, "ok"), (.user, "Use 3 5 7 to make 22")]).count)
    }

    @Test func aSmallCompletionLimitLeavesRoomForTheAnswer() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        for seed in 1...4 {
            // medium thinks 16 tokens here; 10 tokens in all must keep 5 for the answer.
            let reply = try await server.chat(["max_completion_tokens": 10, "temperature": 1, "seed": seed])
            let (completion, reasoning) = Self.usage(reply)
            #expect(completion <= 10 && reasoning <= 5, "seed \(seed): \(completion) tokens, \(reasoning) thinking")
        }
    }

    @Test func topKOfOneIsGreedy() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        let greedy = Self.message(try await server.chat(["temperature": 0]))
        for seed in [1, 2] {
            let reply = Self.message(try await server.chat(["temperature": 1, "top_k": 1, "seed": seed]))
            #expect(reply["content"] as? String == greedy["content"] as? String)
            #expect(reply["reasoning_content"] as? String == greedy["reasoning_content"] as? String)
        }
    }

    @Test func logprobsCoverTheAnswerPlainAndStreamed() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        let fields: [String: Any] = ["logprobs": true, "temperature": 1, "seed": 5, "reasoning_effort": "low"]
        let plain = try await server.chat(fields)
        let choice = (plain.json["choices"] as! [[String: Any]])[0]
        let entries = (choice["logprobs"] as! [String: Any])["content"] as! [[String: Any]]
        let content = (choice["message"] as! [String: Any])["content"] as! String
        #expect(!entries.isEmpty)
        // The tokens' bytes make the answer (a random model's stray bytes decode to U+FFFD in both).
        #expect(String(decoding: entries.flatMap { $0["bytes"] as! [Int] }.map(UInt8.init), as: UTF8.self) == content)
        #expect(entries.allSatisfy { ($0["logprob"] as! Double) <= 0 && ($0["top_logprobs"] as! [Any]).isEmpty })
        let streamed = try await server.chat(fields.merging(["stream": true]) { $1 })
        var streamedEntries: [[String: Any]] = []
        for event in streamed.text.components(separatedBy: "\n\n") where event.hasPrefix("data: {") {
            let chunk = try JSONSerialization.jsonObject(with: Data(event.dropFirst(6).utf8)) as! [String: Any]
            for c in chunk["choices"] as! [[String: Any]] {
                if let l = c["logprobs"] as? [String: Any] { streamedEntries += l["content"] as! [[String: Any]] }
            }
        }
        #expect(streamedEntries.map { $0["bytes"] as! [Int] } == entries.map { $0["bytes"] as! [Int] })
        let without = (try await server.chat(["seed": 5]).json["choices"] as! [[String: Any]])[0]
        #expect(without["logprobs"] is NSNull)
    }

    @Test func topLogprobsListTheMostLikelyTokensAtEachAnswerPosition() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        // Greedy: the chosen token is the most likely one, so it heads its own list.
        let fields: [String: Any] = ["logprobs": true, "top_logprobs": 3, "temperature": 0, "reasoning_effort": "low"]
        let choice = (try await server.chat(fields).json["choices"] as! [[String: Any]])[0]
        let entries = (choice["logprobs"] as! [String: Any])["content"] as! [[String: Any]]
        #expect(!entries.isEmpty)
        for entry in entries {
            let top = entry["top_logprobs"] as! [[String: Any]]
            let values = top.map { $0["logprob"] as! Double }
            #expect(top.count == 3 && values == values.sorted(by: >) && values.allSatisfy { $0 <= 0 })
            #expect(values.reduce(0) { $0 + exp($1) } <= 1 + 1e-5)
            #expect(top[0]["bytes"] as! [Int] == entry["bytes"] as! [Int])
            #expect(abs(values[0] - (entry["logprob"] as! Double)) < 1e-6)
        }
        // Sampled: the lists are the same shape whatever was drawn; streamed, the same entries.
        let sampled = fields.merging(["temperature": 1, "seed": 11, "top_logprobs": 5]) { $1 }
        let plain = (try await server.chat(sampled).json["choices"] as! [[String: Any]])[0]
        let plainEntries = (plain["logprobs"] as! [String: Any])["content"] as! [[String: Any]]
        #expect(plainEntries.allSatisfy { ($0["top_logprobs"] as! [Any]).count == 5 })
        var streamed: [[String: Any]] = []
        for event in try await server.chat(sampled.merging(["stream": true]) { $1 }).text.components(separatedBy: "\n\n")
            where event.hasPrefix("data: {") {
            let chunk = try JSONSerialization.jsonObject(with: Data(event.dropFirst(6).utf8)) as! [String: Any]
            for c in chunk["choices"] as! [[String: Any]] {
                if let l = c["logprobs"] as? [String: Any] { streamed += l["content"] as! [[String: Any]] }
            }
        }
        #expect(streamed.map { ($0["top_logprobs"] as! [[String: Any]]).map { $0["bytes"] as! [Int] } }
                == plainEntries.map { ($0["top_logprobs"] as! [[String: Any]]).map { $0["bytes"] as! [Int] } })
        // Alternatives need logprobs, and at most 20.
        for bad: [String: Any] in [["top_logprobs": 2], ["logprobs": true, "top_logprobs": 21]] {
            let reply = try await server.chat(bad)
            #expect(reply.status == 400 && reply.error?["param"] as? String == "top_logprobs", "\(reply.text)")
        }
    }

    @Test func theReasoningGoesOutUnderBothNames() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        let message = Self.message(try await server.chat(["temperature": 1, "seed": 7]))
        #expect((message["reasoning"] as? String) == (message["reasoning_content"] as? String))
        #expect(!((message["reasoning"] as? String) ?? "").isEmpty)
        let stream = try await server.chat(["stream": true, "temperature": 1, "seed": 7]).text
        var reasoning = "", reasoningContent = ""
        for event in stream.components(separatedBy: "\n\n") where event.hasPrefix("data: {") {
            let chunk = try JSONSerialization.jsonObject(with: Data(event.dropFirst(6).utf8)) as! [String: Any]
            for c in chunk["choices"] as! [[String: Any]] {
                let delta = c["delta"] as! [String: Any]
                reasoning += delta["reasoning"] as? String ?? ""
                reasoningContent += delta["reasoning_content"] as? String ?? ""
            }
        }
        #expect(reasoning == reasoningContent && reasoning == message["reasoning"] as? String)
    }

    @Test func unsupportedParametersAreRefusedByName() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        let tool: [String: Any] = ["type": "function", "function": ["name": "f", "parameters": [:] as [String: Any]]]
        let refused: [(String, Any)] = [
            ("tools", [tool]), ("tool_choice", "auto"), ("response_format", ["type": "json_object"]),
            ("presence_penalty", 0.5), ("logit_bias", ["65": 10]), ("audio", ["voice": "x"]),
        ]
        for (param, value) in refused {
            let reply = try await server.chat([param: value])
            #expect(reply.status == 400, "\(param)")
            #expect(reply.error?["param"] as? String == param && reply.error?["code"] as? String == "unsupported_parameter",
                    "\(reply.text)")
        }
        let neutral: [String: Any] = ["tools": [Any](), "tool_choice": "none", "response_format": ["type": "text"],
                                      "presence_penalty": 0, "frequency_penalty": 0, "top_logprobs": 0, "user": "u"]
        #expect(try await server.chat(neutral).status == 200)
    }

    @Test func modelsTellTheContextAndTokenizeRoundTrips() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        let entry = ((try await server.get("/v1/models").json["data"]) as! [[String: Any]])[0]
        #expect(entry["context_length"] as? Int == 128 && entry["max_model_len"] as? Int == 128)
        let post = { (path: String, body: [String: Any]) in
            try await server.request("POST", path, body: try JSONSerialization.data(withJSONObject: body))
        }
        let tokens = try await post("/tokenize", ["model": TestServer.modelName, "prompt": "3 + 5"]).json
        #expect(tokens["count"] as? Int == (tokens["tokens"] as? [Int])?.count && tokens["max_model_len"] as? Int == 128)
        let back = try await post("/detokenize", ["tokens": tokens["tokens"]!]).json
        #expect(back["prompt"] as? String == "3 + 5")
        // A conversation counts as the chat endpoint's prompt does.
        let messages = [["role": "user", "content": "Use 3 5 7 to make 22"]]
        let counted = try await post("/tokenize", ["messages": messages]).json["count"] as? Int
        let chat = try await server.chat(["max_tokens": 2])
        #expect(counted == (chat.json["usage"] as? [String: Any])?["prompt_tokens"] as? Int)
        let bad = try await post("/detokenize", ["tokens": [1, 1 << 40]])
        #expect(bad.status == 400 && bad.error?["param"] as? String == "tokens[1]")
        #expect(try await post("/tokenize", ["model": "other", "prompt": "x"]).status == 404)
        #expect(try await post("/tokenize", [:]).status == 400)
        #expect(try await server.get("/tokenize").status == 405)
    }
}
