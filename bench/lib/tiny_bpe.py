"""A small byte-level BPE tokenizer in the style of Qwen2 or Llama 3, trained by `tokenizers` on a
short corpus: for the import checks and benchmarks, which need a real tokenizer.json but not a
real vocabulary.
"""
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

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
