"""The process's model, loaded on first use: a process that never embeds never loads it.

A load that fails is remembered for RETRY_SECONDS, so a missing or tampered model costs one
attempt a minute, not one per request; every caller meanwhile gets EmbeddingsUnavailable.
"""

import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

from app.embeddings.assets import ModelFiles, operator_files, verified_bundled

if TYPE_CHECKING:
    # onnxruntime and tokenizers (about 30 MB) are imported with the model, on first use.
    from app.embeddings.model import TextEmbedder

logger = logging.getLogger(__name__)

RETRY_SECONDS: Final = 60.0

#: The bundled model as shipped, or its int8 variant (app/embeddings/quantized.py).
Precision = Literal["int8", "fp32"]

#: Models loaded in this process, by (EMBEDDING_MODEL_PATH, precision, threads): one copy in
#: memory however many apps or workers a process builds.
_loaded: dict[tuple[Path | None, Precision, int], "TextEmbedder"] = {}
_loaded_lock = threading.Lock()


class EmbeddingsUnavailable(Exception):
    """Embeddings are turned off, or the model could not be loaded."""


class EmbeddingProvider:
    """`precision` applies to the bundled model only (an operator's export runs as it is);
    its int8 variant is kept under `data_dir`."""

    def __init__(
        self,
        *,
        enabled: bool,
        model_path: Path | None = None,
        threads: int = 1,
        precision: Precision = "fp32",
        data_dir: Path = Path("data"),
    ) -> None:
        self.enabled = enabled
        self.model_path = model_path
        self.threads = threads
        self.precision: Precision = "fp32" if model_path is not None else precision
        self.data_dir = data_dir
        self._lock = threading.Lock()
        self._embedder: TextEmbedder | None = None
        self._error: str | None = None
        self._failed_at = 0.0

    @property
    def loaded(self) -> bool:
        return self._embedder is not None

    def get(self) -> "TextEmbedder":
        """The model, loading it if needed; raises EmbeddingsUnavailable."""
        if not self.enabled:
            raise EmbeddingsUnavailable("embeddings are turned off (EMBEDDINGS_ENABLED=false)")
        embedder = self._embedder
        if embedder is not None:
            return embedder
        with self._lock:
            if self._embedder is not None:
                return self._embedder
            if self._error and time.monotonic() - self._failed_at < RETRY_SECONDS:
                raise EmbeddingsUnavailable(self._error)
            try:
                started = time.monotonic()
                self._embedder = self._load()
            except Exception as exc:
                self._error = f"the embedding model could not be loaded: {exc}"
                self._failed_at = time.monotonic()
                logger.error("embedding model not loaded", extra={"error": str(exc)[:500]})
                raise EmbeddingsUnavailable(self._error) from exc
            logger.info(
                "embedding model loaded",
                extra={
                    "model": self._embedder.model_id,
                    "seconds": round(time.monotonic() - started, 2),
                },
            )
            return self._embedder

    def _load(self) -> "TextEmbedder":
        from app.embeddings.model import BATCH_SIZE, TextEmbedder

        key = (self.model_path, self.precision, self.threads)
        with _loaded_lock:
            if key not in _loaded:
                # int8: one text per run (see app/embeddings/model.py).
                batch_size = 1 if self.precision == "int8" else BATCH_SIZE
                _loaded[key] = TextEmbedder(
                    self._files(), threads=self.threads, batch_size=batch_size
                )
            return _loaded[key]

    def _files(self) -> ModelFiles:
        if self.model_path is not None:
            return operator_files(self.model_path)
        if self.precision == "int8":
            from app.embeddings.quantized import verified_int8

            return verified_int8(self.data_dir)
        return verified_bundled()
