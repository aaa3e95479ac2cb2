"""The bundled model's int8 variant: derived once from the verified fp32 files, kept under
DATA_DIR with its pinned hash, named apart from fp32, and chosen by EMBEDDING_PRECISION."""

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.engine import Engine

from app.config import Settings
from app.embeddings import quantized
from app.embeddings.assets import ModelFilesError, sha256_of, verified_bundled
from app.embeddings.model import TextEmbedder
from app.embeddings.provider import EmbeddingProvider
from app.search.backend import build_backend
from tests.test_embeddings_model import assert_paraphrase_nearer


@pytest.fixture(scope="module")
def derived(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory in which the int8 variant was derived (once for the module)."""
    data_dir = tmp_path_factory.mktemp("data")
    quantized.verified_int8(data_dir)
    return data_dir


@pytest.fixture(scope="module")
def int8(derived: Path) -> TextEmbedder:
    return TextEmbedder(quantized.verified_int8(derived))


@pytest.fixture(scope="module")
def fp32() -> TextEmbedder:
    return TextEmbedder(verified_bundled())


def test_derived_once_into_the_data_dir_with_the_pinned_hash(derived: Path) -> None:
    target = quantized.int8_path(derived)
    assert target == derived / "models" / "all-MiniLM-L6-v2" / "model-int8.onnx"
    assert sha256_of(target) == quantized.INT8_SHA256
    # Nothing but the model is left: the temporary work folder went with the rename.
    assert sorted(p.name for p in target.parent.iterdir()) == ["model-int8.onnx"]


def test_a_kept_variant_is_reused_not_derived_again(
    derived: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = quantized.int8_path(derived).stat()

    def no_derivation(*_args: object) -> None:
        raise AssertionError("derived again")

    monkeypatch.setattr(quantized, "derive_int8", no_derivation)
    files = quantized.verified_int8(derived)
    assert files.model == quantized.int8_path(derived)
    after = quantized.int8_path(derived).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_damaged_kept_variant_is_derived_again(tmp_path: Path, derived: Path) -> None:
    target = quantized.int8_path(tmp_path)
    target.parent.mkdir(parents=True)
    target.write_bytes(quantized.int8_path(derived).read_bytes()[:-1] + b"\0")
    assert sha256_of(target) != quantized.INT8_SHA256
    quantized.verified_int8(tmp_path)
    assert sha256_of(target) == quantized.INT8_SHA256


def test_a_derivation_that_does_not_match_the_pin_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What other onnx or onnxruntime versions than the locked ones could produce.
    monkeypatch.setattr(quantized, "INT8_SHA256", "0" * 64)
    with pytest.raises(ModelFilesError, match=r"has sha256 358b28b1.*expected 0{64}"):
        quantized.verified_int8(tmp_path)
    assert not quantized.int8_path(tmp_path).exists()
    assert list(quantized.int8_path(tmp_path).parent.iterdir()) == []


def test_int8_vectors_are_named_apart_and_close_to_fp32(
    int8: TextEmbedder, fp32: TextEmbedder
) -> None:
    assert int8.model_id == f"all-MiniLM-L6-v2-int8@{quantized.INT8_SHA256[:12]}"
    assert fp32.model_id == "all-MiniLM-L6-v2@60c758432aa5"
    texts = [
        "central bank raises interest rates",
        "The football final was decided on penalties after a goalless draw. " * 5,
    ]
    a, b = int8.embed(texts), fp32.embed(texts)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    cosines = (a * b).sum(axis=1)
    assert (cosines > 0.9).all() and (cosines < 0.999).all()


def test_int8_keeps_a_paraphrase_nearer_than_another_topic(int8: TextEmbedder) -> None:
    assert_paraphrase_nearer(int8)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_setting_chooses_the_precision(
    search_settings: Settings, engine: Engine, tmp_path: Path, derived: Path
) -> None:
    assert Settings(_env_file=None).EMBEDDING_PRECISION == "int8"
    for precision in ("int8", "fp32"):
        settings = search_settings.model_copy(
            update={"EMBEDDINGS_ENABLED": True, "EMBEDDING_PRECISION": precision}
        )
        backend = build_backend(settings, engine)
        assert backend is not None
        try:
            provider = backend.embeddings
            assert (provider.precision, provider.data_dir) == (precision, settings.DATA_DIR)
        finally:
            backend.close()
    fp32_provider = EmbeddingProvider(enabled=True, precision="fp32", data_dir=tmp_path)
    assert fp32_provider.get().model_id == "all-MiniLM-L6-v2@60c758432aa5"
    int8_provider = EmbeddingProvider(enabled=True, precision="int8", data_dir=derived)
    assert int8_provider.get().model_id.startswith("all-MiniLM-L6-v2-int8@")


def test_an_operators_export_runs_as_it_is(tmp_path: Path) -> None:
    source = verified_bundled().model.parent.parent
    for name in ("onnx/model.onnx", "onnx/model.onnx_data", "tokenizer.json"):
        (tmp_path / Path(name).name).symlink_to(source / name)
    provider = EmbeddingProvider(
        enabled=True, model_path=tmp_path, precision="int8", data_dir=tmp_path
    )
    assert provider.precision == "fp32"
    assert provider.get().model_id.startswith("custom@")
    assert not (tmp_path / "models").exists()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_switching_precision_re_embeds_every_article_with_the_backfill(
    search_settings: Settings, write_key: str, derived: Path
) -> None:
    """What an operator does after changing EMBEDDING_PRECISION: `newsarchive embed` queues
    every article whose vector is of the other model id, and re-embeds it."""
    from fastapi.testclient import TestClient
    from sqlmodel import Session, select

    from app.embeddings import queue
    from app.embeddings.backfill import embed_and_send
    from app.embeddings.models import ArticleEmbedding
    from app.main import create_app
    from tests.conftest import auth_headers
    from tests.test_semantic_search import embed_all, post_articles

    base = search_settings.model_copy(
        update={"EMBEDDINGS_ENABLED": True, "ENTITY_EXTRACTION_ENABLED": False}
    )

    def models(client: TestClient) -> list[str]:
        backend = client.app.state.search  # type: ignore[attr-defined]
        with Session(backend.sync.engine) as session:
            return sorted(row.model for row in session.exec(select(ArticleEmbedding)).all())

    fp32 = base.model_copy(update={"EMBEDDING_PRECISION": "fp32"})
    with TestClient(create_app(fp32), headers=auth_headers(write_key)) as client:
        count = len(post_articles(client))
        assert embed_all(client) == count
        assert models(client) == ["all-MiniLM-L6-v2@60c758432aa5"] * count
    int8 = base.model_copy(update={"EMBEDDING_PRECISION": "int8", "DATA_DIR": derived})
    with TestClient(create_app(int8), headers=auth_headers(write_key)) as client:
        backend = client.app.state.search  # type: ignore[attr-defined]
        model_id = backend.embeddings.get().model_id
        assert queue.enqueue_backfill(backend.sync.engine, model_id=model_id) == count
        made = embed_and_send(embed_sync=backend.embed_sync, index_sync=backend.sync)
        assert made == count
        assert models(client) == [model_id] * count
        # Nothing is left of the other precision: a second backfill queues nothing.
        assert queue.enqueue_backfill(backend.sync.engine, model_id=model_id) == 0


def test_int8_runs_one_text_at_a_time_so_a_text_always_gets_one_vector(derived: Path) -> None:
    """Activations are quantised with one scale per run: in a batch, a text's vector would
    depend on its neighbours. Alone, it is the same vector whatever is embedded with it."""
    embedder = EmbeddingProvider(enabled=True, precision="int8", data_dir=derived).get()
    assert embedder.batch_size == 1
    texts = [
        "A short one.",
        "A much longer sentence about harbour bridges and ferries, and the tolls they charge.",
        "Mid length text here.",
    ]
    alone = np.vstack([embedder.embed([text]) for text in texts])
    assert np.array_equal(embedder.embed(texts), alone)
    assert np.array_equal(embedder.embed(list(reversed(texts)))[::-1], alone)
    batched = embedder.embed(texts, batch_size=3)
    assert not np.allclose(batched, alone, atol=1e-3)
    fp32 = EmbeddingProvider(enabled=True, precision="fp32").get()
    assert fp32.batch_size == 8
    assert np.allclose(fp32.embed(texts, batch_size=3), fp32.embed(texts, batch_size=1), atol=1e-5)
