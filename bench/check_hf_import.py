"""Checks `strawberry import` against Hugging Face transformers on tiny random models it makes.

    python check_hf_import.py STRAWBERRY_BINARY WORK_DIR
For a Qwen2ForCausalLM (q/k/v biases, tied embeddings, ChatML tokens, padded vocabulary) and a
LlamaForCausalLM (untied head, Llama 3 header tokens, no spare rows, so the embedding grows),
each with a byte-level BPE tokenizer trained here by `tokenizers`: saves the model with
transformers, imports it, exports it again (`--format hf`, which writes strawberry_probe.json:
the probe text's token ids, Strawberry's logits at every position and its greedy continuation)
and compares with transformers on the original model — the same token ids, logits within 1e-4
on the original vocabulary, the same greedy continuation — and that transformers loads the
export with the same logits. Exits 1 on any mismatch.
"""
import json
import pathlib
import subprocess
import sys

import numpy as np
import torch
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

strawberry, work = sys.argv[1], pathlib.Path(sys.argv[2])
corpus = [
    "Use 3 7 12 to make 33. 3*7=21, left 21 12. 21+12=33. Check: 33 = 33.",
    "The quick brown fox jumps over the lazy dog; it's 2026, isn't it?",
    "Grüße aus München: Äpfel kosten 3,50 €. Съешь ещё этих булок. 我能吞下玻璃。",
    "def f(x):\n    return [y * 2 for y in x if y > 0]\n",
] * 30
QWEN_SPLIT = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""


def tokenizer(kind):
    tok = Tokenizer(models.BPE())
    if kind == "qwen2":
        tok.normalizer = normalizers.NFC()
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(QWEN_SPLIT), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ])
        specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    else:
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
        specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=700, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(corpus, trainer)
    return tok


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
    else:
        m = LlamaForCausalLM(LlamaConfig(vocab_size=vocab, tie_word_embeddings=False, **shape))
    return m.float().eval()


def logits(m, ids):
    with torch.no_grad():
        return m(torch.tensor([ids])).logits[0].numpy()


def main():
    failed = False
    for kind in ("qwen2", "llama"):
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
        ids = tok.encode(probe["text"]).ids
        same_ids = ids == probe["token_ids"]
        rows = original.config.vocab_size  # Strawberry may have more: the tokens it added
        ours = np.array(probe["logits"], dtype=np.float64).reshape(len(probe["token_ids"]), probe["vocab_size"])[:, :rows]
        theirs = logits(original, probe["token_ids"])
        diff = float(np.abs(ours - theirs).max())
        with torch.no_grad():
            greedy = original.generate(torch.tensor([probe["token_ids"]]), max_new_tokens=len(probe["greedy_ids"]),
                                       do_sample=False, pad_token_id=0)[0, len(probe["token_ids"]):].tolist()
        same_greedy = greedy == probe["greedy_ids"]
        reloaded = AutoModelForCausalLM.from_pretrained(export).float().eval()
        export_diff = float(np.abs(logits(reloaded, probe["token_ids"])[:, :rows] - theirs).max())
        ok = same_ids and diff <= 1e-4 and same_greedy and export_diff <= 1e-4
        failed |= not ok
        print(f"{kind}: {vocab}-token BPE, {rows} embedding rows, probe {len(ids)} tokens "
              f"({'same ids' if same_ids else 'DIFFERENT ids'}); logits max |diff| {diff:.2e}; "
              f"greedy {len(greedy)} tokens {'identical' if same_greedy else 'DIFFER'}; "
              f"re-exported folder in transformers: {export_diff:.2e} — {'ok' if ok else 'FAILED'}")
        if not same_greedy:
            print(f"  transformers {greedy}\n  strawberry   {probe['greedy_ids']}")
    sys.exit(1 if failed else 0)


main()
