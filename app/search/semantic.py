"""The query side of hybrid and semantic search: the query's vector, from the process's model.

The model runs off the event loop (a short query takes about 7 ms on one idle core, more than
Meilisearch's whole hybrid search), so the vectors of recent queries are kept, keyed by the
model's own input tokens: the next page of a search, the same search from another reader, or
the same words in another case, spacing or accents cost a tokenisation (about 0.05 ms), not
a model run. When embeddings are off or the model can't be loaded,
the search is refused with a 503: a hybrid request never quietly comes back keyword-only.
"""

import threading
from collections import OrderedDict
from http import HTTPStatus

from starlette.concurrency import run_in_threadpool

from app.embeddings.provider import EmbeddingProvider, EmbeddingsUnavailable
from app.errors import ApiError


class SemanticUnavailable(ApiError):
    status, slug = HTTPStatus.SERVICE_UNAVAILABLE, "embeddings-unavailable"


#: Query vectors kept per process, most recent last.
RECENT_QUERIES = 1024
_recent: OrderedDict[tuple[str, tuple[int, ...]], list[float]] = OrderedDict()
_recent_lock = threading.Lock()


def query_vector(provider: EmbeddingProvider, text: str) -> list[float]:
    try:
        embedder = provider.get()
    except EmbeddingsUnavailable as exc:
        raise SemanticUnavailable(
            f"Hybrid and semantic search are unavailable: {exc}. Keyword search "
            "(mode=keyword) still works."
        ) from exc
    tokens = embedder.tokens(text)
    key = (embedder.model_id, tokens)
    with _recent_lock:
        if key in _recent:
            _recent.move_to_end(key)
            return _recent[key]
    vector: list[float] = embedder.embed_tokens(tokens)[0].tolist()
    with _recent_lock:
        _recent[key] = vector
        while len(_recent) > RECENT_QUERIES:
            _recent.popitem(last=False)
    return vector


async def query_vector_async(provider: EmbeddingProvider, text: str) -> list[float]:
    return await run_in_threadpool(query_vector, provider, text)
