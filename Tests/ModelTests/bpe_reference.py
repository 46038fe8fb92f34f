"""Makes reference BPE tokenizers with Hugging Face `tokenizers` for BPETokenizerTests.

    python bpe_reference.py OUT_DIR
Trains two small byte-level BPE vocabularies on a multilingual corpus — GPT-2 style (ByteLevel
with its regex) and Qwen2 style (NFC, a Split regex, ByteLevel without regex, special tokens) —
and writes OUT_DIR/<name>.json with OUT_DIR/<name>.expected.json: sample texts and their ids.
"""
import json
import sys

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

out = sys.argv[1]
corpus = [
    "The quick brown fox jumps over the lazy dog. It's 2026, isn't it? We'll see; they'd know.",
    "Grüße aus München: Äpfel, Öl und Übermut kosten 3,50 € pro Stück.",
    "Съешь же ещё этих мягких французских булок, да выпей чаю.",
    "我能吞下玻璃而不伤身体。東京は日本の首都です。",
    "def f(x):\n    return [y * 2 for y in x if y > 0]  # comment\n\n\tindented\r\n",
    "Emoji 🍓🍓 and 👩‍💻 mixed with numbers 1234567 and 3.14159.",
] * 20
samples = [
    "Hello world! It's a test of the BPE tokenizer.",
    "Grüße, Ünïcödé café (NFC: café vs cafe\u0301).",
    "Съешь ещё 12345 булок 🍓, 我能吞下玻璃。",
    "   leading spaces\n\n\ttabs and\r\nnew lines   ",
    "<|im_start|>user\nhi<|im_end|> and <think>x</think>",
    "",
]
qwen_regex = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
for name in ("gpt2", "qwen2"):
    tok = Tokenizer(models.BPE())
    if name == "gpt2":
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    else:
        tok.normalizer = normalizers.NFC()
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(qwen_regex), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ])
    tok.decoder = decoders.ByteLevel()
    specials = ["<|im_start|>", "<|im_end|>", "<think>", "</think>"] if name == "qwen2" else []
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(corpus, trainer)
    tok.save(f"{out}/{name}.json")
    expected = [{"text": s, "ids": tok.encode(s).ids, "decoded": tok.decode(tok.encode(s).ids, skip_special_tokens=False)}
                for s in samples]
    json.dump(expected, open(f"{out}/{name}.expected.json", "w"), ensure_ascii=False)
print("ok")
