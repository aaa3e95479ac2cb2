"""A sentence-embedding model run with onnxruntime: tokenise, run, mean-pool, L2-normalise.

Texts are cut at MAX_TOKENS and run in small batches, sorted by length so a batch pads
little: memory stays near the model's own size and short texts cost little. The int8 model
runs one text at a time: its activations are quantised with one scale per run, so a text's
vector would depend on the texts beside it in a batch (a cosine of about 0.99 apart); alone,
each text always gets the same vector, and without padding it is faster too.
"""

import logging
from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt
import onnxruntime as ort
from tokenizers import Tokenizer

from app.embeddings.assets import ModelFiles

logger = logging.getLogger(__name__)

DIMENSIONS: Final = 384
MAX_TOKENS: Final = 256
BATCH_SIZE: Final = 8

Vectors = npt.NDArray[np.float32]


class TextEmbedder:
    """Texts -> unit vectors of DIMENSIONS floats. Safe to call from several threads."""

    def __init__(
        self, files: ModelFiles, *, threads: int = 1, batch_size: int = BATCH_SIZE
    ) -> None:
        self.model_id = files.model_id
        self.model_path = files.model
        self.batch_size = batch_size
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(
            str(files.model), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        tokenizer = Tokenizer.from_file(str(files.tokenizer))
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.no_padding()
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 - a token, not a secret
        self._tokenizer = tokenizer
        probe = self.embed(["probe"])
        if probe.shape != (1, DIMENSIONS):
            raise ValueError(
                f"the model gives vectors of shape {probe.shape[1:]}, not {DIMENSIONS}"
            )

    def embed(self, texts: Sequence[str], batch_size: int | None = None) -> Vectors:
        """One unit vector per text, in order."""
        batch_size = batch_size or self.batch_size
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            chosen = order[start : start + batch_size]
            out[chosen] = self._run([texts[i] for i in chosen])
        return out

    def tokens(self, text: str) -> tuple[int, ...]:
        """The model's input for one text. The tokenizer lowercases, strips accents and splits
        on white space, so texts that differ only there give the same tokens, hence the same
        vector: this is the exact key under which a query's vector can be kept."""
        return tuple(self._tokenizer.encode(text).ids)

    def embed_tokens(self, tokens: Sequence[int]) -> Vectors:
        """The unit vector of one text already turned into `tokens`."""
        ids = np.array([tokens], dtype=np.int64)
        return self._pooled(ids, np.ones_like(ids))

    def _run(self, texts: list[str]) -> Vectors:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        return self._pooled(ids, mask)

    def _pooled(self, ids: npt.NDArray[np.int64], mask: npt.NDArray[np.int64]) -> Vectors:
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        (hidden,) = self._session.run(["last_hidden_state"], feed)
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: Vectors = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return unit
