"""Checks `strawberry import` against Hugging Face transformers on tiny random models it makes.

    python check_hf_import.py STRAWBERRY_BINARY WORK_DIR
For a Qwen2ForCausalLM (q/k/v biases, tied embeddings, ChatML tokens, padded vocabulary) and a
LlamaForCausalLM (untied head, Llama 3 header tokens, no spare rows, so the embedding grows) and
the same with Llama 3.1's rope scaling (`rope_type: llama3`),
each with a byte-level BPE tokenizer trained here by `tokenizers`: saves the model with
transformers, imports it, exports it again (`--format hf`, which writes strawberry_probe.json:
a chat prompt then `<think>…`, its token ids, Strawberry's logits at every position and its
greedy continuation) and checks: the chat prompt's ids equal `tokenizers`' on the original
tokenizer and the whole probe's on the exported one (with the markers Strawberry added); the
logits over the prompt equal the original model's in transformers within 1e-4; transformers
loading the exported folder gives Strawberry's logits over the whole probe within 1e-4 and the
same greedy continuation. Then `strawberry eval` and two `strawberry rl` steps run on the imported
checkpoint. Exits 1 on any mismatch.
"""
import json
import pathlib
import subprocess
import sys

import numpy as np
import torch
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "lib"))
from tiny_bpe import tokenizer  # noqa: E402

strawberry, work = sys.argv[1], pathlib.Path(sys.argv[2])


def model(kind, vocab):
    torch.manual_seed(0)
    shape = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=2, max_position_embeddings=256, initializer_range=0.1, rms_norm_eps=1e-6)
    if kind == "qwen2":
        m = Qwen2ForCausalLM(Qwen2Config(vocab_size=vocab + 20, tie_word_embeddings=True, rope_theta=1e6, **shape))
        with torch.no_grad():  # transformers starts biases at zero; random ones test that they are read
            for layer in m.model.layers:
                for proj in (layer.self_attn.q_proj, layer.self_attn.k_proj, layer.self_attn.v_proj):
                    proj.bias.normal_(0, 0.1)
    elif kind == "llama3":
        # Llama 3.1's rope scaling, with an original context short enough that all three bands
        # of frequencies (kept, blended, divided by the factor) occur in a 16-wide head.
        rope = {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
                "high_freq_factor": 4.0, "original_max_position_embeddings": 64}
        m = LlamaForCausalLM(LlamaConfig(vocab_size=vocab, tie_word_embeddings=False, rope_parameters=rope, **shape))
    else:
        m = LlamaForCausalLM(LlamaConfig(vocab_size=vocab, tie_word_embeddings=False, **shape))
    return m.float().eval()


def logits(m, ids):
    with torch.no_grad():
        return m(torch.tensor([ids])).logits[0].numpy()


def main():
    failed = False
    for kind in ("qwen2", "llama", "llama3"):
        folder, ckpt, export = work / kind, work / f"{kind}-ckpt", work / f"{kind}-export"
        tok = tokenizer(kind)
        vocab = tok.get_vocab_size()
        original = model(kind, vocab)
        original.save_pretrained(folder)
        tok.save(str(folder / "tokenizer.json"))
        subprocess.run([strawberry, "import", str(folder), "--out", str(ckpt)], check=True)
        subprocess.run([strawberry, "export", str(ckpt), "--format", "hf", "--out", str(export)], check=True,
                       stdout=subprocess.DEVNULL)
        probe = json.loads((export / "strawberry_probe.json").read_text())
        ids, text = probe["token_ids"], probe["text"]
        ours = np.array(probe["logits"], dtype=np.float64).reshape(len(ids), probe["vocab_size"])
        rows = original.config.vocab_size
        # The chat prompt is made of the original tokens; `<think>` after it is one Strawberry added.
        prompt = text[:text.index("<think>")]
        k = len(tok.encode(prompt).ids)
        same_prompt = tok.encode(prompt).ids == ids[:k]
        augmented = Tokenizer.from_file(str(export / "tokenizer.json"))
        same_ids = augmented.encode(text).ids == ids
        diff = float(np.abs(ours[:k, :rows] - logits(original, ids[:k])).max())
        # The whole probe, added tokens included, through transformers on the exported folder.
        exported = AutoModelForCausalLM.from_pretrained(export).float().eval()
        export_diff = float(np.abs(ours - logits(exported, ids)).max())
        with torch.no_grad():
            # An explicit all-ones mask: the prompt may start with the token id 0 (`<|begin_of_text|>`).
            prompt_ids = torch.tensor([ids])
            greedy = exported.generate(prompt_ids, attention_mask=torch.ones_like(prompt_ids), do_sample=False,
                                       max_new_tokens=len(probe["greedy_ids"]), pad_token_id=0)[0, len(ids):].tolist()
        same_greedy = greedy == probe["greedy_ids"]
        ok = same_prompt and same_ids and diff <= 1e-4 and export_diff <= 1e-4 and same_greedy
        failed |= not ok
        print(f"{kind}: {vocab}-token BPE, {rows} embedding rows → {probe['vocab_size']}; chat prompt {k} tokens "
              f"{'= tokenizers' if same_prompt else 'DIFFERS from tokenizers'}, probe {len(ids)} tokens with the added "
              f"markers {'= tokenizers' if same_ids else 'DIFFER'}; logits vs the original model max |diff| {diff:.2e}; "
              f"exported folder in transformers: logits {export_diff:.2e}, greedy {len(greedy)} tokens "
              f"{'identical' if same_greedy else 'DIFFER'} — {'ok' if ok else 'FAILED'}")
        if not same_greedy:
            print(f"  transformers {greedy}\n  strawberry   {probe['greedy_ids']}")
        # The imported checkpoint through the CLI: evaluation with thinking, and two RL steps.
        subprocess.run([strawberry, "eval", "--model", str(ckpt), "--n", "4", "--budgets", "0,16",
                        "--out", str(work / f"{kind}-eval")], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run([strawberry, "rl", "--model", str(ckpt), "--out", str(work / f"{kind}-rl"), "--steps", "2",
                        "--problems", "2", "--group", "4", "--budget", "16"], check=True, stderr=subprocess.DEVNULL)
        print(f"{kind}: strawberry eval and rl ran on the imported checkpoint")
    sys.exit(1 if failed else 0)


main()
