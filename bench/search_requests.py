"""The requests bench/search.py compares: a search through the API, and the same search sent
straight to Meilisearch (same filter, fields and page size as app/search/service.py sends)."""

from typing import Any


def api_params(q: str) -> dict[str, Any]:
    return {"q": q, "per_page": 20}


def direct_body(q: str) -> dict[str, Any]:
    """What app/search/service.py sends for api_params(q): same filter, fields, page size."""
    from app.search.schemas import PUBLIC_FIELDS
    from app.search.service import DOCUMENT_FIELD

    return {
        "q": q,
        "filter": ["duplicate_of IS NULL"],
        "attributesToRetrieve": [DOCUMENT_FIELD.get(f, f) for f in PUBLIC_FIELDS],
        "page": 1,
        "hitsPerPage": 20,
    }
