"""Reading story clusters."""

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.articles.models import Article
from app.errors import NotFound
from app.stories.schemas import ClusterMember, ClusterPublic


def cluster_of(*, session: Session, article: Article, limit: int) -> ClusterPublic:
    if article.cluster_id is None:
        raise NotFound(
            f"Article {article.id} has no story cluster yet (stored before clustering was on); "
            "run `newsarchive clusters rebuild`."
        )
    published, article_id = col(Article.published_at), col(Article.id)
    members = session.exec(
        select(Article)
        .where(col(Article.cluster_id) == article.cluster_id)
        .order_by(sa.case((published.is_(None), 1), else_=0), published, article_id)
        .limit(limit)
    ).all()
    size = session.exec(
        select(sa.func.count()).where(col(Article.cluster_id) == article.cluster_id)
    ).one()
    return ClusterPublic(
        cluster_id=article.cluster_id,
        size=size,
        first_article_id=members[0].id or 0,
        members=[ClusterMember.model_validate(member) for member in members],
    )
