"""The query side of hybrid and semantic search: the query's vector, from the process's model.

The model runs off the event loop (a short query takes about 7 ms on one idle core in fp32,
more than Meilisearch's whole hybrid search, and about a third of that in int8), so the vectors of recent queries are kept, keyed by the
model's own input tokens: the next page of a search, the same search from another reader, or
the same words in another case, spacing or accents cost a tokenisation (about 0.05 ms), not
a model run. When embeddings are off or the model can't be loaded,
the search is refused with a 503: a hybrid request never quietly comes back keyword-only.
"""

import threading
from collections import OrderedDict
from http import HTTPStatus
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool

from app.embeddings.provider import EmbeddingProvider, EmbeddingsUnavailable
from app.errors import ApiError

if TYPE_CHECKING:
    from app.embeddings.model import TextEmbedder


class SemanticUnavailable(ApiError):
    status, slug = HTTPStatus.SERVICE_UNAVAILABLE, "embeddings-unavailable"


#: Query vectors kept per process, most recent last.
RECENT_QUERIES = 1024
_recent: OrderedDict[tuple[str, tuple[int, ...]], list[float]] = OrderedDict()
_recent_lock = threading.Lock()


def _embedder(provider: EmbeddingProvider) -> "TextEmbedder":
    try:
        return provider.get()
    except EmbeddingsUnavailable as exc:
        raise SemanticUnavailable(
            f"Hybrid and semantic search are unavailable: {exc}. Keyword search "
            "(mode=keyword) still works."
        ) from exc


def _kept(key: tuple[str, tuple[int, ...]]) -> list[float] | None:
    with _recent_lock:
        vector = _recent.get(key)
        if vector is not None:
            _recent.move_to_end(key)
        return vector


def _embed_and_keep(embedder: "TextEmbedder", tokens: tuple[int, ...]) -> list[float]:
    vector: list[float] = embedder.embed_tokens(tokens)[0].tolist()
    with _recent_lock:
        _recent[(embedder.model_id, tokens)] = vector
        while len(_recent) > RECENT_QUERIES:
            _recent.popitem(last=False)
    return vector


def _look_up(
    provider: EmbeddingProvider, text: str
) -> tuple["TextEmbedder", tuple[int, ...], list[float] | None]:
    """The model, the query's tokens, and the vector kept for them if any."""
    embedder = _embedder(provider)
    tokens = embedder.tokens(text)
    return embedder, tokens, _kept((embedder.model_id, tokens))


def query_vector(provider: EmbeddingProvider, text: str) -> list[float]:
    """The query's vector: a kept one, or one made now (raises SemanticUnavailable)."""
    embedder, tokens, kept = _look_up(provider, text)
    return kept if kept is not None else _embed_and_keep(embedder, tokens)


async def query_vector_async(provider: EmbeddingProvider, text: str) -> list[float]:
    """As query_vector, from the event loop. Once the model is loaded, a kept vector is found
    on the loop (tokenising a query is far cheaper than a hop to a worker thread, which on a
    busy machine costs milliseconds); only a model run or a model load leaves it."""
    if provider.enabled and not provider.loaded:
        return await run_in_threadpool(query_vector, provider, text)
    embedder, tokens, kept = _look_up(provider, text)
    if kept is not None:
        return kept
    return await run_in_threadpool(_embed_and_keep, embedder, tokens)
