"""Tiny random Hugging Face model folders written with NumPy alone (config.json, model.safetensors,
tokenizer.json from tiny_bpe.py), for checks that need an imported model but not PyTorch:

    python tiny_hf_model.py KIND DIR      KIND: qwen2 (q/k/v biases, ChatML, padded vocabulary),
                                                qwen3 (per-head q/k norms, heads 24 wide where
                                                hidden/heads is 16, ChatML), or llama3 (untied head,
                                                Llama 3.1 rope scaling)
"""
import json
import pathlib
import struct
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from tiny_bpe import tokenizer  # noqa: E402

SHAPE = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
             num_key_value_heads=2, max_position_embeddings=256, rms_norm_eps=1e-6, hidden_act="silu")


def write_safetensors(tensors, path):
    """The safetensors layout: an 8-byte header length, a JSON header, then the F32 data."""
    header, offset = {}, 0
    for name, array in tensors.items():
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for array in tensors.values():
            f.write(np.ascontiguousarray(array, dtype="<f4").tobytes())


def make(kind, folder):
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    qwen = kind in ("qwen2", "qwen3")
    tok = tokenizer("qwen2" if qwen else "llama")
    tok.save(str(folder / "tokenizer.json"))
    vocab = tok.get_vocab_size() + (20 if qwen else 0)
    rng = np.random.default_rng(0)
    d, f, heads, kv = SHAPE["hidden_size"], SHAPE["intermediate_size"], SHAPE["num_attention_heads"], SHAPE["num_key_value_heads"]
    hd = 24 if kind == "qwen3" else d // heads

    def w(*shape):
        return rng.normal(0, 0.1, shape).astype(np.float32)

    t = {"model.embed_tokens.weight": w(vocab, d), "model.norm.weight": 1 + w(d)}
    for i in range(SHAPE["num_hidden_layers"]):
        p = f"model.layers.{i}."
        t[p + "input_layernorm.weight"] = 1 + w(d)
        t[p + "post_attention_layernorm.weight"] = 1 + w(d)
        t[p + "self_attn.q_proj.weight"] = w(heads * hd, d)
        t[p + "self_attn.k_proj.weight"] = w(kv * hd, d)
        t[p + "self_attn.v_proj.weight"] = w(kv * hd, d)
        t[p + "self_attn.o_proj.weight"] = w(d, heads * hd)
        if kind == "qwen2":
            for m, n in (("q", heads), ("k", kv), ("v", kv)):
                t[p + f"self_attn.{m}_proj.bias"] = w(n * hd)
        if kind == "qwen3":
            t[p + "self_attn.q_norm.weight"] = 1 + w(hd)
            t[p + "self_attn.k_norm.weight"] = 1 + w(hd)
        t[p + "mlp.gate_proj.weight"] = w(f, d)
        t[p + "mlp.up_proj.weight"] = w(f, d)
        t[p + "mlp.down_proj.weight"] = w(d, f)
    config = dict(SHAPE, vocab_size=vocab)
    if kind == "qwen2":
        config.update(architectures=["Qwen2ForCausalLM"], model_type="qwen2", tie_word_embeddings=True,
                      rope_theta=1e6, use_sliding_window=False)
    elif kind == "qwen3":
        config.update(architectures=["Qwen3ForCausalLM"], model_type="qwen3", tie_word_embeddings=True,
                      rope_theta=1e6, use_sliding_window=False, attention_bias=False, head_dim=hd)
    else:
        t["lm_head.weight"] = w(vocab, d)
        config.update(architectures=["LlamaForCausalLM"], model_type="llama", tie_word_embeddings=False,
                      rope_theta=500000.0, attention_bias=False,
                      rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                    "high_freq_factor": 4.0, "original_max_position_embeddings": 64})
    write_safetensors(t, folder / "model.safetensors")
    (folder / "config.json").write_text(json.dumps(config, indent=1))


if __name__ == "__main__":
    make(sys.argv[1], sys.argv[2])
