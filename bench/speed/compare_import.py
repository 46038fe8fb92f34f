"""A Qwen2.5-0.5B-shaped model imported into Strawberry, against transformers on the same folder.

    python compare_import.py STRAWBERRY_BINARY WORK_DIR [BATCHES] [TOKENS]

Makes a Qwen2ForCausalLM from Qwen/Qwen2.5-0.5B's published config.json (24 layers, hidden 896,
14 query and 2 KV heads, FFN 4864, tied embeddings of 151,936 rows, q/k/v biases, rope theta 1e6)
with random weights (transformers' initialiser, saved as float32) and a small byte-level BPE
tokenizer, imports it with `strawberry import`, and measures decode tokens/s at each batch size
(default 1,8) for TOKENS new tokens (default 32) after a 32-token prompt: Strawberry by
`strawberry bench generate --model` with its matrices in float32, in bfloat16, and in bfloat16 with
the activations rounded too (`bfloat16-dot`: the CPU's bfloat16 dot products where it has
AVX512-BF16; each run prints its peak resident memory), transformers by
`generate` in float32 and bfloat16 (decode time = generating TOKENS tokens minus generating 1,
both greedy, so the prompt's prefill is left out of both). Then the first sequence's greedy
continuation at each precision against transformers' in float32, in bfloat16, and in float32 over
the weights rounded to bfloat16 (what Strawberry's bfloat16 matrices compute): how many tokens
agree before the first difference. A random model's next-token logits are nearly flat, so any
rounding can change a close choice.
"""
import pathlib
import re
import subprocess
import sys
import time

import torch
from transformers import Qwen2Config, Qwen2ForCausalLM

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "lib"))
from tiny_bpe import tokenizer  # noqa: E402

strawberry, work = sys.argv[1], pathlib.Path(sys.argv[2])
batches = [int(b) for b in (sys.argv[3] if len(sys.argv) > 3 else "1,8").split(",")]
tokens = int(sys.argv[4]) if len(sys.argv) > 4 else 32
prompt = 32

# Qwen/Qwen2.5-0.5B config.json, as published.
QWEN25_05B = dict(hidden_size=896, intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14,
                  num_key_value_heads=2, max_position_embeddings=32768, rms_norm_eps=1e-6, rope_theta=1e6,
                  tie_word_embeddings=True, vocab_size=151936, hidden_act="silu", use_sliding_window=False,
                  sliding_window=32768, max_window_layers=24, bos_token_id=151643, eos_token_id=151643,
                  initializer_range=0.02)


def decode_rate(model, batch):
    ids = torch.randint(0, 256, (batch, prompt), generator=torch.Generator().manual_seed(3))
    mask = torch.ones_like(ids)

    def run(n):
        start = time.perf_counter()
        with torch.no_grad():
            model.generate(ids, attention_mask=mask, do_sample=False, max_new_tokens=n, min_new_tokens=n, pad_token_id=0)
        return time.perf_counter() - start

    run(2)  # warm up
    return batch * (tokens - 1) / (run(tokens) - run(1))


def greedy_tokens(model, prompt_ids):
    """The greedy continuation of one prompt, as many tokens as Strawberry's bench decodes."""
    ids = torch.tensor([prompt_ids])
    with torch.no_grad():
        out = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False, max_new_tokens=tokens,
                             min_new_tokens=tokens, pad_token_id=0)
    return out[0, len(prompt_ids):].tolist()


def main():
    folder, ckpt = work / "qwen2.5-0.5b-shaped", work / "qwen2.5-0.5b-imported"
    torch.manual_seed(0)
    model = Qwen2ForCausalLM(Qwen2Config(**QWEN25_05B)).float().eval()
    model.save_pretrained(folder)
    tokenizer("qwen2").save(str(folder / "tokenizer.json"))
    subprocess.run([strawberry, "import", str(folder), "--out", str(ckpt)], check=True, stdout=subprocess.DEVNULL)
    rates, greedy = {}, {}
    for precision in ["float32", "bfloat16", "bfloat16-dot"]:
        ours = subprocess.run([strawberry, "bench", "generate", "--model", str(ckpt), "--batch", ",".join(map(str, batches)),
                               "--prompt", str(prompt), "--tokens", str(tokens), "--precision", precision],
                              check=True, capture_output=True, text=True).stdout
        print(ours.strip())
        rates[precision] = {int(m[1]): float(m[2]) for m in re.finditer(r"^\s*(\d+)\s+(\d+(?:\.\d+)?)\s", ours, re.M)}
        first = re.search(r"^greedy: prompt (.*) -> (.*)$", ours, re.M)
        greedy[precision] = ([int(t) for t in first[1].split()], [int(t) for t in first[2].split()])
    fp32 = {b: decode_rate(model, b) for b in batches}
    reference = {"float32": greedy_tokens(model, greedy["float32"][0])}
    bf16_model = model.to(torch.bfloat16)
    bf16 = {b: decode_rate(bf16_model, b) for b in batches}
    reference["bfloat16"] = greedy_tokens(bf16_model, greedy["float32"][0])
    # What Strawberry's bfloat16 matrices compute: float32 arithmetic over weights rounded to bfloat16.
    reference["float32 over bfloat16 weights"] = greedy_tokens(bf16_model.to(torch.float32), greedy["float32"][0])
    # The greedy continuation of the first sequence: Strawberry at each precision against transformers.
    for ours_precision, (_, ours_tokens) in greedy.items():
        for theirs_precision, theirs in reference.items():
            same = next((i for i, (x, y) in enumerate(zip(ours_tokens, theirs)) if x != y), len(theirs))
            print(f"greedy, Strawberry {ours_precision} vs transformers {theirs_precision}: first {same} of {len(theirs)} tokens the same")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; decode tokens/s, {tokens} tokens after a {prompt}-token prompt")
    print("| batch | Strawberry fp32 | Strawberry bf16 | Strawberry bf16-dot | transformers fp32 | transformers bf16 "
          "| fp32 vs fp32 | bf16 vs fp32 | bf16 vs bf16 | bf16-dot vs bf16 |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for b in batches:
        ours32, ours16, dot = rates["float32"][b], rates["bfloat16"][b], rates["bfloat16-dot"][b]
        print(f"| {b} | {ours32:.1f} | {ours16:.1f} | {dot:.1f} | {fp32[b]:.1f} | {bf16[b]:.1f} | {ours32 / fp32[b]:.2f}× "
              f"| {ours16 / fp32[b]:.2f}× | {ours16 / bf16[b]:.2f}× | {dot / bf16[b]:.2f}× |")


main()
