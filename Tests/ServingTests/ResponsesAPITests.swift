import Foundation
import Testing
@testable import Serving

/// `POST /v1/responses` over HTTP: the response object's items and usage, a stream of typed
/// events in order that adds up to the same response, and refusals that name the parameter.
@Suite(.serialized) struct ResponsesAPITests {
    static func post(_ server: TestServer, _ fields: [String: Any]) async throws -> TestServer.Reply {
        var body: [String: Any] = ["model": TestServer.modelName, "input": "Use 3 5 7 to make 22"]
        body.merge(fields) { $1 }
        return try await server.request("POST", "/v1/responses", body: try JSONSerialization.data(withJSONObject: body))
    }

    static func text(_ item: [String: Any]) -> String {
        ((item["content"] as! [[String: Any]]).first?["text"] as? String) ?? ""
    }

    @Test func aResponseHasAReasoningItemAndAMessage() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        let reply = try await Self.post(server, ["reasoning": ["effort": "low"], "temperature": 1, "seed": 5,
                                                 "instructions": "Be brief."])
        #expect(reply.status == 200, "\(reply.text)")
        let r = reply.json
        #expect(r["object"] as? String == "response" && (r["id"] as? String)?.hasPrefix("resp_") == true)
        let output = r["output"] as! [[String: Any]]
        #expect(output.map { $0["type"] as! String } == ["reasoning", "message"])
        let usage = r["usage"] as! [String: Any]
        let reasoningTokens = (usage["output_tokens_details"] as! [String: Any])["reasoning_tokens"] as! Int
        #expect(reasoningTokens > 0 && reasoningTokens <= 4)
        #expect(usage["total_tokens"] as? Int == (usage["input_tokens"] as! Int) + (usage["output_tokens"] as! Int))
        // The same request as a chat completion gives the same thinking and answer.
        let chat = try await server.chat(["messages": [["role": "system", "content": "Be brief."], ["role": "user", "content": "Use 3 5 7 to make 22"]],
                                          "reasoning_effort": "low", "temperature": 1, "seed": 5])
        let message = (chat.json["choices"] as! [[String: Any]])[0]["message"] as! [String: Any]
        #expect(Self.text(output[0]) == message["reasoning_content"] as? String)
        #expect(Self.text(output[1]) == message["content"] as? String)
        let limited = try await Self.post(server, ["max_output_tokens": 3, "reasoning": ["effort": "none"]]).json
        #expect(limited["status"] as? String == "incomplete")
        #expect((limited["incomplete_details"] as? [String: Any])?["reason"] as? String == "max_output_tokens")
    }

    @Test func theStreamAddsUpToTheResponse() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        let fields: [String: Any] = ["reasoning": ["effort": "low"], "temperature": 1, "seed": 9]
        let plain = try await Self.post(server, fields).json
        let stream = try await Self.post(server, fields.merging(["stream": true]) { $1 }).text
        var types: [String] = [], sequence: [Int] = []
        var answer = "", reasoning = ""
        var final: [String: Any]?
        for block in stream.components(separatedBy: "\n\n") where !block.isEmpty {
            let lines = block.components(separatedBy: "\n")
            #expect(lines.count == 2 && lines[0].hasPrefix("event: ") && lines[1].hasPrefix("data: "), "\(block)")
            let event = try JSONSerialization.jsonObject(with: Data(lines[1].dropFirst(6).utf8)) as! [String: Any]
            let type = event["type"] as! String
            #expect(lines[0] == "event: \(type)")
            types.append(type)
            sequence.append(event["sequence_number"] as! Int)
            if type == "response.output_text.delta" { answer += event["delta"] as! String }
            if type == "response.reasoning_text.delta" { reasoning += event["delta"] as! String }
            if type == "response.completed" || type == "response.incomplete" { final = event["response"] as? [String: Any] }
        }
        #expect(types.first == "response.created" && types.last?.hasPrefix("response.") == true && final != nil)
        #expect(sequence == Array(0..<sequence.count))
        #expect(types.filter { $0 == "response.output_item.added" }.count == 2)
        #expect(types.filter { $0 == "response.output_item.done" }.count == 2)
        let output = plain["output"] as! [[String: Any]]
        #expect(reasoning == Self.text(output[0]) && answer == Self.text(output[1]))
        #expect(Self.text((final!["output"] as! [[String: Any]])[1]) == answer)
    }

    @Test func whatIsNotSupportedIsRefusedByName() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        let cases: [([String: Any], String)] = [
            (["previous_response_id": "resp_1"], "previous_response_id"),
            (["background": true], "background"),
            (["text": ["format": ["type": "json_object"]]], "text.format"),
            (["tools": [["type": "web_search"]]], "tools"),
            (["max_output_tokens": 0], "max_output_tokens"),
            (["input": [["type": "function_call", "name": "f"]]], "input[0]"),
            (["input": 3], "input"),
        ]
        for (fields, param) in cases {
            let reply = try await Self.post(server, fields)
            #expect(reply.status == 400 && reply.error?["param"] as? String == param, "\(fields): \(reply.text)")
        }
        // Earlier reasoning items are dropped; message parts of both kinds are read.
        let turns: [[String: Any]] = [
            ["role": "user", "content": [["type": "input_text", "text": "hi"]]],
            ["type": "reasoning", "id": "rs_1", "summary": [Any]()],
            ["type": "message", "role": "assistant", "content": [["type": "output_text", "text": "hello"]]],
            ["role": "user", "content": "Use 3 5 7 to make 22"],
        ]
        #expect(try await Self.post(server, ["input": turns]).status == 200)
        #expect(try await server.get("/v1/responses").status == 405)
    }
}
