"""The local embedding model: files checked by hash, vectors of the right shape and sense,
input cut at 256 tokens, loaded once and only when asked for."""

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.embeddings import assets
from app.embeddings.model import DIMENSIONS, MAX_TOKENS, TextEmbedder
from app.embeddings.provider import EmbeddingProvider, EmbeddingsUnavailable
from app.embeddings.text import MAX_CHARS, article_text


@pytest.fixture(scope="module")
def embedder() -> TextEmbedder:
    return EmbeddingProvider(enabled=True).get()


def test_vectors_are_unit_length_and_in_order(embedder: TextEmbedder) -> None:
    texts = ["A short one.", "A much longer sentence about harbour bridges and ferries.", "Mid."]
    vectors = embedder.embed(texts, batch_size=2)
    assert vectors.shape == (3, DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Sorting by length inside `embed` must not reorder the answer.
    for text, vector in zip(texts, vectors, strict=True):
        assert np.allclose(embedder.embed([text])[0], vector, atol=1e-5)


def test_paraphrase_is_nearer_than_another_topic(embedder: TextEmbedder) -> None:
    assert_paraphrase_nearer(embedder)


def assert_paraphrase_nearer(embedder: TextEmbedder) -> None:
    """A paraphrase of a query is clearly nearer to it than a text on another topic."""
    query, paraphrase, other = embedder.embed(
        [
            "central bank raises interest rates",
            "the monetary authority lifted borrowing costs",
            "the football team won the cup final",
        ]
    )
    assert float(query @ paraphrase) > float(query @ other) + 0.2


def test_input_is_cut_at_the_token_limit(embedder: TextEmbedder) -> None:
    long_text = " ".join(f"word{n}" for n in range(MAX_TOKENS * 2))
    longer = long_text + " and a tail about something else entirely"
    first, second = embedder.embed([long_text, longer])
    assert np.allclose(first, second, atol=1e-6)


def test_article_text_is_title_then_opening() -> None:
    text = article_text("Title", "  Summary ", "Body " * 1000)
    assert text.startswith("Title\nSummary\nBody Body")
    assert len(text) == MAX_CHARS


def test_bundled_files_are_checked_by_hash(tmp_path: Path) -> None:
    source = assets.bundled_dir()
    copy = tmp_path / "model"
    (copy / "onnx").mkdir(parents=True)
    for name in assets.BUNDLED_SHA256:
        (copy / name).symlink_to(source / name)
    assert assets.verified_bundled(copy).model == copy / "onnx" / "model.onnx"

    (copy / "tokenizer.json").unlink()
    shutil.copy(source / "tokenizer.json", copy / "tokenizer.json")
    with (copy / "tokenizer.json").open("a") as tampered:
        tampered.write(" ")
    with pytest.raises(assets.ModelFilesError, match=r"has sha256 .* expected 07805d11"):
        assets.verified_bundled(copy)

    (copy / "tokenizer.json").unlink()
    with pytest.raises(assets.ModelFilesError, match="model file missing"):
        assets.verified_bundled(copy)


def test_operator_export_is_named_by_its_hash(tmp_path: Path, embedder: TextEmbedder) -> None:
    source = assets.bundled_dir()
    for name in ("onnx/model.onnx", "onnx/model.onnx_data", "tokenizer.json"):
        target = tmp_path / Path(name).name
        target.symlink_to(source / name)
    provider = EmbeddingProvider(enabled=True, model_path=tmp_path)
    own = provider.get()
    assert own.model_id.startswith("custom@")
    assert own.model_id != embedder.model_id
    assert np.allclose(own.embed(["same text"]), embedder.embed(["same text"]), atol=1e-6)


def test_unavailable_model_is_reported_not_raised_raw(tmp_path: Path) -> None:
    missing = EmbeddingProvider(enabled=True, model_path=tmp_path / "nowhere")
    with pytest.raises(EmbeddingsUnavailable, match=r"needs model\.onnx"):
        missing.get()
    assert missing.loaded is False
    # Remembered for a while: files that appear meanwhile are not looked at on every call.
    (tmp_path / "nowhere").mkdir()
    source = assets.bundled_dir()
    for name in ("onnx/model.onnx", "onnx/model.onnx_data", "tokenizer.json"):
        (tmp_path / "nowhere" / Path(name).name).symlink_to(source / name)
    with pytest.raises(EmbeddingsUnavailable, match=r"needs model\.onnx"):
        missing.get()

    off = EmbeddingProvider(enabled=False)
    with pytest.raises(EmbeddingsUnavailable, match="EMBEDDINGS_ENABLED=false"):
        off.get()


def test_the_model_loads_on_first_use_only() -> None:
    provider = EmbeddingProvider(enabled=True, threads=2)
    assert provider.loaded is False
    provider.get()
    assert provider.loaded is True


def test_embedder_setting_is_applied_once(meili_client: Any, meili_index_uid: str) -> None:
    from app.search.index_settings import ensure_index

    assert ensure_index(meili_client, meili_index_uid, embeddings=True) is True
    assert ensure_index(meili_client, meili_index_uid, embeddings=True) is False
    live = meili_client.index(meili_index_uid).get_settings()["embedders"]["text"]
    assert (live.source, live.dimensions) == ("userProvided", 384)


def test_recent_query_vectors_are_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.search import semantic

    provider = EmbeddingProvider(enabled=True)
    monkeypatch.setattr(semantic, "RECENT_QUERIES", 2)
    first = semantic.query_vector(provider, "grain exports")
    assert semantic.query_vector(provider, "grain exports") is first
    semantic.query_vector(provider, "oil output")
    semantic.query_vector(provider, "coffee quotas")
    again = semantic.query_vector(provider, "grain exports")
    assert again is not first  # pushed out by two newer queries
    assert again == pytest.approx(first, abs=1e-6)


def test_a_query_in_another_case_spacing_or_accents_reuses_the_vector(
    monkeypatch: pytest.MonkeyPatch, embedder: TextEmbedder
) -> None:
    from app.search import semantic

    monkeypatch.setattr(semantic, "_recent", type(semantic._recent)())
    provider = EmbeddingProvider(enabled=True)
    first = semantic.query_vector(provider, "café exports")
    assert semantic.query_vector(provider, "  CAFE   Exports ") is first
    assert len(semantic._recent) == 1
    # Punctuation is a token of its own: another input, another vector.
    assert semantic.query_vector(provider, "café exports.") is not first
    assert len(semantic._recent) == 2
    # The kept vector is the one `embed` gives for the text.
    assert first == pytest.approx(embedder.embed(["café exports"])[0].tolist(), abs=1e-5)


def test_an_index_from_before_embeddings_keeps_working_until_rebuilt(
    meili_client: Any, meili_index_uid: str, caplog: pytest.LogCaptureFixture
) -> None:
    from app.search.client import wait_for_success
    from app.search.index_settings import ensure_index

    ensure_index(meili_client, meili_index_uid)
    index = meili_client.index(meili_index_uid)
    wait_for_success(meili_client, index.add_documents([{"id": 1, "title": "old"}]).task_uid)
    with caplog.at_level("WARNING"):
        assert ensure_index(meili_client, meili_index_uid, embeddings=True) is False
    assert "run `newsarchive reindex`" in caplog.text
    assert index.get_settings()["embedders"] == {}
    assert index.search("old")["hits"] == [{"id": 1, "title": "old"}]
    # Rebuilt documents say `_vectors.text` (null: none yet): the embedder is accepted then.
    wait_for_success(
        meili_client,
        index.add_documents([{"id": 1, "title": "old", "_vectors": {"text": None}}]).task_uid,
    )
    assert ensure_index(meili_client, meili_index_uid, embeddings=True) is True


def test_the_api_and_the_command_line_do_not_import_the_runtime() -> None:
    import subprocess
    import sys

    code = (
        "import sys, app.main, app.cli; "
        "print(sorted({'onnxruntime', 'tokenizers'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_kept_query_vector_is_found_without_leaving_the_event_loop(
    monkeypatch: pytest.MonkeyPatch, embedder: TextEmbedder
) -> None:
    import asyncio

    from app.search import semantic

    provider = EmbeddingProvider(enabled=True)
    first = asyncio.run(semantic.query_vector_async(provider, "wheat harvest forecast"))

    def no_thread(*_args: Any) -> None:
        raise AssertionError("a kept vector must not need a worker thread")

    monkeypatch.setattr(semantic, "run_in_threadpool", no_thread)
    again = asyncio.run(semantic.query_vector_async(provider, "Wheat  harvest FORECAST"))
    assert again is first
    with pytest.raises(AssertionError, match="worker thread"):
        asyncio.run(semantic.query_vector_async(provider, "a query never seen before"))


def test_a_short_query_runs_unpadded(embedder: TextEmbedder) -> None:
    """The shipped tokenizer pads to 128 tokens; a query runs on its own tokens only: the
    words, [CLS] and [SEP]."""
    query = "grain exports fall"
    assert len(embedder.tokens(query)) == len(query.split()) + 2
    assert np.allclose(embedder.embed_tokens(embedder.tokens(query)), embedder.embed([query]))
