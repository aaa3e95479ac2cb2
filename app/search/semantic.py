"""The query side of hybrid and semantic search: the query's vector, from the process's model.

The model runs off the event loop (a short query takes a few milliseconds on one core). When
embeddings are off or the model can't be loaded, the search is refused with a 503: a hybrid
request never quietly comes back keyword-only.
"""

from http import HTTPStatus

from starlette.concurrency import run_in_threadpool

from app.embeddings.provider import EmbeddingProvider, EmbeddingsUnavailable
from app.errors import ApiError


class SemanticUnavailable(ApiError):
    status, slug = HTTPStatus.SERVICE_UNAVAILABLE, "embeddings-unavailable"


def query_vector(provider: EmbeddingProvider, text: str) -> list[float]:
    try:
        embedder = provider.get()
    except EmbeddingsUnavailable as exc:
        raise SemanticUnavailable(
            f"Hybrid and semantic search are unavailable: {exc}. Keyword search "
            "(mode=keyword) still works."
        ) from exc
    vector: list[float] = embedder.embed([text])[0].tolist()
    return vector


async def query_vector_async(provider: EmbeddingProvider, text: str) -> list[float]:
    return await run_in_threadpool(query_vector, provider, text)
