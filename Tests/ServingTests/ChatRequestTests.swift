import Foundation
import Model
import Testing
@testable import Serving

@Suite struct ChatRequestTests {
    func parse(_ json: String) throws(APIError) -> ChatRequest { try ChatRequest.parse(Data(json.utf8)) }

    func error(_ json: String) -> APIError? {
        do { _ = try parse(json); return nil } catch { return error }
    }

    @Test func readsEveryField() throws {
        let r = try parse("""
        {"model":"m","messages":[{"role":"developer","content":"be brief"},{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},
         {"role":"assistant","content":"c"},{"role":"user","content":"d"}],
         "stream":true,"stream_options":{"include_usage":true},"reasoning_effort":"high","max_tokens":50,"n":2,"seed":-1,
         "temperature":0.5,"top_p":0.9,"stop":["x",""],"logit_bias":{},"user":"ignored",
         "thinking_token_budget":7,"top_k":5,"logprobs":true}
        """)
        #expect(r.model == "m" && r.stream && r.includeUsage && r.effort == .high && r.n == 2)
        #expect(r.maxCompletionTokens == 50 && r.seed == UInt64.max && r.temperature == 0.5 && r.topP == Float(0.9) && r.stop == ["x"])
        #expect(r.thinkingBudget == 7 && r.topK == 5 && r.logprobs)
        #expect(r.messages.map(\.role) == [.system, .user, .assistant, .user] && r.messages[1].content == "ab")
        let special = Tokenizer.Special.self
        #expect(r.promptTokens(in: .strawberry) == [special.system.rawValue] + Tokenizer.encode("be brief") + [special.user.rawValue] + Tokenizer.encode("ab")
            + [special.assistant.rawValue] + Tokenizer.encode("c") + [special.endOfTurn.rawValue, special.user.rawValue]
            + Tokenizer.encode("d") + [special.assistant.rawValue])
    }

    @Test func everyInt64SeedIsTakenExactly() throws {
        for (seed, expected) in [("-9223372036854775808", UInt64(1) << 63), ("9223372036854775807", UInt64(Int64.max)),
                                 ("9007199254740993", UInt64(9_007_199_254_740_993)), ("0", 0)] {
            let r = try parse(#"{"model":"m","messages":[{"role":"user","content":"q"}],"seed":\#(seed)}"#)
            #expect(r.seed == expected, "seed \(seed)")
        }
        #expect(error(#"{"model":"m","messages":[{"role":"user","content":"q"}],"seed":1.5}"#)?.param == "seed")
    }

    @Test func defaultsAndTheNewerNameWin() throws {
        let r = try parse(#"{"model":"m","messages":[{"role":"user","content":"q"}],"max_tokens":5,"max_completion_tokens":9,"stop":"END"}"#)
        #expect(r.effort == .medium && r.n == 1 && !r.stream && r.temperature == 1 && r.seed == nil)
        #expect(r.thinkingBudget == nil && r.topK == 0 && !r.logprobs)
        #expect(r.maxCompletionTokens == 9 && r.stop == ["END"])
        #expect(r.promptTokens(in: .strawberry) == Vocabulary.strawberry.prompt("q"))
    }

    @Test func refusesBadInputNamingTheField() {
        let ok = #""model":"m","messages":[{"role":"user","content":"q"}]"#
        let cases: [(String, String?)] = [
            ("{", nil), ("[1]", nil), (#"{"messages":[{"role":"user","content":"q"}]}"#, "model"),
            (#"{"model":3,"messages":[]}"#, "model"), (#"{"model":"m","messages":[]}"#, "messages"),
            (#"{"model":"m","messages":"hi"}"#, "messages"), (#"{"model":"m"}"#, "messages"),
            (#"{"model":"m","messages":[{"role":"tool","content":"q"}]}"#, "messages[0].role"),
            (#"{"model":"m","messages":[{"role":"user"}]}"#, "messages[0].content"),
            (#"{"model":"m","messages":[{"role":"user","content":[{"type":"image_url"}]}]}"#, "messages[0].content"),
            ("{\(ok),\"temperature\":\"hot\"}", "temperature"), ("{\(ok),\"temperature\":3}", "temperature"),
            ("{\(ok),\"top_p\":0}", "top_p"), ("{\(ok),\"n\":0}", "n"), ("{\(ok),\"n\":1.5}", "n"),
            ("{\(ok),\"n\":true}", "n"), ("{\(ok),\"max_tokens\":0}", "max_tokens"),
            ("{\(ok),\"max_completion_tokens\":\"9\"}", "max_completion_tokens"), ("{\(ok),\"stream\":1}", "stream"),
            ("{\(ok),\"reasoning_effort\":\"extreme\"}", "reasoning_effort"), ("{\(ok),\"stop\":[1]}", "stop"),
            ("{\(ok),\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}", "stop"), ("{\(ok),\"stream_options\":true}", "stream_options"),
        ]
        for (json, param) in cases {
            let e = error(json)
            #expect(e?.status == 400, "\(json)")
            #expect(e?.param == param, "\(json): \(String(describing: e))")
            #expect(e?.type == "invalid_request_error")
        }
    }

    @Test func errorBodyHasOpenAIShape() throws {
        let body = try JSONSerialization.jsonObject(with: APIError.invalid("n", "bad n").body) as? [String: Any]
        let error = body?["error"] as? [String: Any]
        #expect(error?["message"] as? String == "bad n" && error?["type"] as? String == "invalid_request_error")
        #expect(error?["param"] as? String == "n" && error?["code"] is NSNull)
    }

    @Test func effortSettingsParse() throws {
        var table = EffortTable()
        try table.apply("high=512,vote:5")
        try table.apply("low=0")
        #expect(table[.high] == .init(thinkingBudget: 512, votes: 5) && table[.low] == .init(thinkingBudget: 0, votes: 1))
        #expect(table.summary == "none=0 minimal=16 low=0 medium=128 high=512,vote:5 xhigh=400,vote:5")
        for bad in ["high", "max=3", "low=-1", "low=x", "high=5,vote:0", "high=5,best:3", "high=5,vote:2,x"] {
            #expect(throws: EffortTableError.self, "\(bad)") { try table.apply(bad) }
        }
    }
}
