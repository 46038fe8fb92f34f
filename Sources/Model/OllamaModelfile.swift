/// An Ollama `Modelfile` for an exported GGUF: `FROM` the file, the chat format as a Go template
/// that opens `<think>` for the answer (closed at once when a request sets `think: false`) and
/// holds `{{ .Thinking }}` between the tags, which is how Ollama recognises a thinking model and
/// learns its tags; generation stops at the end-of-turn marker.
public enum OllamaModelfile {
    public static func text(gguf: String, vocabulary: Vocabulary, contextLength: Int) -> String {
        let open = "{{ if and $.IsThinkSet (not $.Think) }}<think></think>{{ else }}<think>{{ end }}"
        let assistant = "{{ if .Thinking }}<think>{{ .Thinking }}</think>{{ end }}{{ .Content }}"
        let template: String
        switch vocabulary.format {
        case .strawberry:
            template = "{{- range .Messages }}{{ if eq .Role \"system\" }}<|system|>{{ .Content }}{{ else if eq .Role \"user\" }}<|user|>{{ .Content }}{{ else if eq .Role \"assistant\" }}<|assistant|>\(assistant)<|end|>{{ end }}{{ end }}<|assistant|>\(open)"
        case .chatML:
            template = "{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ if eq .Role \"assistant\" }}\(assistant){{ else }}{{ .Content }}{{ end }}<|im_end|>\n{{ end }}<|im_start|>assistant\n\(open)"
        case .llama3:
            template = "<|begin_of_text|>{{- range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>\n\n{{ if eq .Role \"assistant\" }}\(assistant){{ else }}{{ .Content }}{{ end }}<|eot_id|>{{ end }}<|start_header_id|>assistant<|end_header_id|>\n\n\(open)"
        }
        let stop = vocabulary.decode([vocabulary.markers.endOfTurn])
        return """
        # Ollama: `ollama create NAME -f Modelfile`, then `ollama run NAME --think` (or `think: true` in the API).
        FROM ./\(gguf)
        TEMPLATE \"\"\"\(template)\"\"\"
        PARAMETER stop "\(stop)"
        PARAMETER num_ctx \(contextLength)

        """
    }
}
