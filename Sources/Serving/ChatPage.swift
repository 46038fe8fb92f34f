import Foundation

/// The web chat page served at `/`: one static document with no external assets that streams
/// from `/v1/chat/completions`, showing the thinking dimmed in a collapsible block above the answer.
enum ChatPage {
    static func html(modelName: String) -> String {
        let name = modelName.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
        return """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Strawberry · \(name)</title>
        <style>
        body{font:16px/1.45 system-ui,sans-serif;margin:0;background:#fafafa;color:#222}
        main{max-width:760px;margin:0 auto;padding:16px}
        h1{font-size:20px;margin:8px 0 16px} h1 small{color:#888;font-weight:normal}
        .turn{background:#fff;border:1px solid #e3e3e3;border-radius:8px;padding:10px 14px;margin:10px 0}
        .user{background:#eef4ff}
        details.thinking{color:#777;font-size:14px;border-left:3px solid #ddd;padding-left:10px;margin:4px 0 8px}
        details.thinking pre{white-space:pre-wrap;margin:6px 0;font:13px/1.4 ui-monospace,monospace}
        .answer{white-space:pre-wrap}
        .counts{color:#999;font-size:12px;margin-top:6px}
        form{display:flex;gap:8px;margin-top:12px;flex-wrap:wrap}
        textarea{flex:1 1 100%;min-height:60px;font:inherit;padding:8px}
        .error{color:#b00020}
        </style></head>
        <body><main>
        <h1>Strawberry <small id="model">\(name)</small></h1>
        <div id="log"></div>
        <form id="form">
        <textarea id="prompt" placeholder="Ask, e.g. Using the numbers [3, 7, 25], make 46."></textarea>
        <label>Effort <select id="effort"><option>none</option><option>minimal</option><option>low</option><option selected>medium</option><option>high</option><option>xhigh</option></select></label>
        <label>API key <input id="key" type="password" size="12" placeholder="(if required)"></label>
        <button id="send" type="submit">Send</button>
        </form>
        </main>
        <script>
        const log = document.getElementById("log"), form = document.getElementById("form");
        const keyInput = document.getElementById("key");
        keyInput.value = localStorage.getItem("strawberry-key") || "";
        const history = [];
        function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls; if (text) e.textContent = text; return e; }
        form.addEventListener("submit", async (event) => {
          event.preventDefault();
          const text = document.getElementById("prompt").value.trim();
          if (!text) return;
          localStorage.setItem("strawberry-key", keyInput.value);
          document.getElementById("prompt").value = "";
          history.push({role: "user", content: text});
          log.appendChild(el("div", "turn user", text));
          const turn = el("div", "turn"), details = el("details", "thinking"), summary = el("summary", "", "Thinking…");
          const thinking = el("pre"), answer = el("div", "answer"), counts = el("div", "counts");
          details.open = true; details.append(summary, thinking); turn.append(details, answer, counts); log.appendChild(turn);
          document.getElementById("send").disabled = true;
          const started = performance.now();
          try {
            const headers = {"Content-Type": "application/json"};
            if (keyInput.value) headers["Authorization"] = "Bearer " + keyInput.value;
            const response = await fetch("/v1/chat/completions", {method: "POST", headers, body: JSON.stringify({
              model: \(jsonString(modelName)), messages: history, stream: true, stream_options: {include_usage: true},
              reasoning_effort: document.getElementById("effort").value})});
            if (!response.ok) { const e = await response.json(); throw new Error(e.error ? e.error.message : response.statusText); }
            const reader = response.body.getReader(), decoder = new TextDecoder();
            let buffer = "";
            for (;;) {
              const {value, done} = await reader.read();
              if (done) break;
              buffer += decoder.decode(value, {stream: true});
              let cut;
              while ((cut = buffer.indexOf("\\n\\n")) >= 0) {
                const line = buffer.slice(0, cut).trim(); buffer = buffer.slice(cut + 2);
                if (!line.startsWith("data: ")) continue;
                const data = line.slice(6);
                if (data === "[DONE]") continue;
                const chunk = JSON.parse(data);
                if (chunk.error) throw new Error(chunk.error.message);
                for (const choice of chunk.choices || []) {
                  if (choice.delta.reasoning_content) thinking.textContent += choice.delta.reasoning_content;
                  if (choice.delta.content) answer.textContent += choice.delta.content;
                }
                if (chunk.usage) {
                  const u = chunk.usage, r = u.completion_tokens_details.reasoning_tokens;
                  counts.textContent = `${r} reasoning tokens · ${u.completion_tokens - r} answer tokens · ${u.prompt_tokens} prompt tokens · ${((performance.now() - started) / 1000).toFixed(2)} s`;
                  summary.textContent = `Thought for ${r} tokens`;
                }
              }
            }
            if (!thinking.textContent) details.style.display = "none";
            history.push({role: "assistant", content: answer.textContent});
          } catch (error) {
            answer.appendChild(el("span", "error", "Error: " + error.message));
          } finally {
            document.getElementById("send").disabled = false;
          }
        });
        </script>
        </body></html>
        """
    }

    /// A JavaScript string literal.
    private static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "<": out += "\\u003c"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}
