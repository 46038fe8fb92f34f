import Foundation
import Testing
import TestSupport
import Model

@Suite struct ExportTests {
    @Test func huggingFaceFolderIsComplete() throws {
        let dir = Scratch.path("hf")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = ModelConfig.tiny(context: 96)
        let model = try Transformer(config: config, seed: 1)
        try HuggingFaceExport.write(model, to: dir)
        let json = { (name: String) in try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))) as! [String: Any] }
        let hf = try json("config.json")
        #expect(hf["architectures"] as? [String] == ["LlamaForCausalLM"])
        #expect(hf["num_key_value_heads"] as? Int == 2 && hf["tie_word_embeddings"] as? Bool == true)
        // The tokenizer's vocabulary maps 256 distinct characters to the byte ids, then the specials.
        let tokenizer = try json("tokenizer.json")
        let vocab = (tokenizer["model"] as! [String: Any])["vocab"] as! [String: Int]
        #expect(vocab.count == Tokenizer.vocabSize)
        #expect(Set(vocab.values) == Set(0..<Tokenizer.vocabSize))
        #expect(vocab["<think>"] == Int(Tokenizer.Special.thinkStart.rawValue))
        #expect(vocab["h"] == 104 && vocab["Ġ"] == 32)
        // The weights load back as the same model, and the probe holds logits for every position.
        let file = try Safetensors.load(dir + "/model.safetensors")
        #expect(file.tensors.count == model.layout.tensors.count)
        let probe = try json("strawberry_probe.json")
        #expect((probe["logits"] as! [Double]).count == (probe["token_ids"] as! [Int]).count * config.vocabSize)
        // Other tools see a thinking model: the template opens <think> and generation ends at <|end|>.
        let template = try json("tokenizer_config.json")["chat_template"] as! String
        #expect(template.hasSuffix("<|assistant|>{% if enable_thinking is defined and not enable_thinking %}<think></think>{% else %}<think>{% endif %}{% endif %}"))
        #expect(template.contains("split('</think>')[-1]"))
        #expect(try json("generation_config.json")["eos_token_id"] as? Int == Int(Tokenizer.Special.endOfTurn.rawValue))
    }
}
