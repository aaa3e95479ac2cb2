"""The one place that turns a stored article into a Meilisearch document."""

from collections.abc import Sequence
from datetime import UTC
from typing import Any

from app.articles.models import Article
from app.entities.types import DocumentEntity


def article_to_document(
    article: Article, entities: Sequence[DocumentEntity] = ()
) -> dict[str, Any]:
    published = article.published_at.astimezone(UTC) if article.published_at else None
    return {
        "id": article.id,
        "title": article.title,
        "summary": article.summary,
        "body": article.body,
        "url": article.url,
        "external_id": article.external_id,
        "authors": list(article.authors),
        "source": article.source,
        "section": article.section,
        "language": article.language,
        "tags": list(article.tags),
        "published_at": int(published.timestamp()) if published else None,
        "published_at_iso": published.isoformat() if published else None,
        "published_at_source": article.published_at_source,
        "modified_at": article.modified_at.astimezone(UTC).isoformat()
        if article.modified_at
        else None,
        "month": published.strftime("%Y-%m") if published else None,
        "created_at": article.created_at.isoformat(),
        "updated_at": article.updated_at.isoformat(),
        "entity_slugs": [entity.slug for entity in entities],
        "entity_names": [entity.name for entity in entities],
        "entity_aliases": sorted({alias for entity in entities for alias in entity.aliases}),
        "entity_types": sorted({entity.type for entity in entities}),
        "entity_within": sorted({slug for entity in entities for slug in entity.within}),
        "entities": [{"slug": e.slug, "name": e.name, "type": e.type} for e in entities],
        "duplicate_of": article.duplicate_of,
        "cluster_id": article.cluster_id,
        "cluster_size": article.cluster_size,
        "image_caption": article.image_caption,
        "credit": article.credit,
        "related_titles": list(article.related_titles),
    }
