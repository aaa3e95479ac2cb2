"""People the archive knows are found by their surname where the model labelled nothing, on
both databases, unless the article's own text says the word is someone or something else."""

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.articles import service as articles_service
from app.articles.models import Article
from app.articles.schemas import ArticleCreate
from app.entities import resolution
from app.entities.archive_names import MIN_EVIDENCE_UNLABELLED
from app.entities.models import (
    ArticleEntityLink,
    Entity,
    EntityDistinctPair,
    EntitySurfaceForm,
    EntityTypeVote,
)
from app.entities.types import ArticleEntity, EntitySource, EntityType
from tests.test_entities_resolution import linked

PERSON, PLACE, ORG = EntityType.PERSON, EntityType.PLACE, EntityType.ORGANIZATION


def entity(
    name: str,
    type: EntityType = PERSON,
    *forms: str,
    source: EntitySource = EntitySource.EXTRACTED,
) -> ArticleEntity:
    return ArticleEntity(
        slug="-".join(name.lower().split()),
        name=name,
        type=type,
        mentions=1 + len(forms),
        first_position=0,
        source=source,
        aliases=(name, *forms),
        forms=(name, *forms),
        joined_forms=forms,
    )


_counter = iter(range(1, 10_000))


def store(session: Session, body: str, *entities: ArticleEntity) -> int:
    n = next(_counter)
    data = ArticleCreate(url=f"https://example.org/a{n}", title=f"Story {n}", body=body)
    article, _ = articles_service.upsert(session=session, data=data, entities=list(entities))
    assert article.id is not None
    return article.id


def evidence(
    session: Session, full_name: str, surname: str, articles: int = MIN_EVIDENCE_UNLABELLED
) -> None:
    """Articles that name the person in full and then by surname alone."""
    for _ in range(articles):
        store(session, f"{full_name} spoke. {surname} left.", entity(full_name, PERSON, surname))


#: What the model labelled in the test articles: one place, so the article counts as read.
IOWA = entity("Iowa", PLACE)


def test_a_surname_the_model_skipped_in_a_list_links_the_person(session: Session) -> None:
    evidence(session, "Nancy Pelosi", "Pelosi")
    evidence(session, "Barack Obama", "Obama")
    article = store(session, "In Iowa, Biden and Pelosi or Clinton and Obama's allies met.", IOWA)
    assert linked(session, article) == ["barack-obama", "iowa", "nancy-pelosi"]
    link = session.exec(
        select(ArticleEntityLink)
        .join(Entity, col(Entity.id) == col(ArticleEntityLink.entity_id))
        .where(col(ArticleEntityLink.article_id) == article, col(Entity.slug) == "nancy-pelosi")
    ).one()
    stored = session.get(Article, article)
    assert stored is not None
    assert link.mentions == 1
    assert link.first_position == f"{stored.title}\n\n{stored.body}".index("Pelosi")


def test_weak_or_split_evidence_links_nothing(session: Session) -> None:
    # Enough for a form the model labelled, not for one it did not.
    evidence(session, "Nancy Pelosi", "Pelosi", articles=MIN_EVIDENCE_UNLABELLED - 1)
    assert MIN_EVIDENCE_UNLABELLED - 1 >= resolution.MIN_EVIDENCE
    for name in ("Bernie Sanders", "Sarah Sanders"):
        evidence(session, name, "Sanders")
    article = store(session, "In Iowa, Pelosi and Sanders met.", IOWA)
    assert linked(session, article) == ["iowa"]


def test_a_word_beside_another_name_is_not_the_archives_person(session: Session) -> None:
    evidence(session, "Paul Ryan", "Ryan")
    evidence(session, "Ted Cruz", "Cruz")
    article = store(
        session,
        "In Iowa, Ryan Zinke met Nikolas Cruz at Cruz Azul, and George W. Ryan stayed home.",
        IOWA,
    )
    assert linked(session, article) == ["iowa"]


def test_a_title_or_a_function_word_before_the_surname_leaves_it_the_persons(
    session: Session,
) -> None:
    evidence(session, "Paul Ryan", "Ryan")
    evidence(session, "Ted Cruz", "Cruz")
    titled = store(session, "In Iowa, Speaker Ryan waited.", IOWA)
    opening = store(session, "It rained in Iowa. But Cruz came.", IOWA)
    assert linked(session, titled) == ["iowa", "paul-ryan"]
    assert linked(session, opening) == ["iowa", "ted-cruz"]


def test_a_namesake_in_the_article_keeps_the_surname(session: Session) -> None:
    evidence(session, "Barack Obama", "Obama")
    michelle = entity("Michelle Obama", PERSON)
    article = store(session, "Michelle Obama toured Iowa. Later Obama spoke.", michelle, IOWA)
    assert linked(session, article) == ["iowa", "michelle-obama"]


def test_a_common_word_opening_a_sentence_is_not_the_person(session: Session) -> None:
    evidence(session, "Tom Price", "Price")
    opening = store(session, "Iowa farmers worry. Price is what the price of corn is.", IOWA)
    inside = store(session, "Iowa farmers asked Price about the price of corn.", IOWA)
    assert linked(session, opening) == ["iowa"]
    assert linked(session, inside) == ["iowa", "tom-price"]


def test_hyphens_join_people_only(session: Session) -> None:
    evidence(session, "Barack Obama", "Obama")
    evidence(session, "Robert Mueller", "Mueller")
    evidence(session, "Mike Pence", "Pence")
    store(session, "Douglas won.", entity("Douglas", PERSON))
    compound = store(session, "In Iowa, the Obama-Pence feud and a Pence-era rule.", IOWA)
    other = store(session, "In Iowa, Melissa Mueller-Douglas spoke.", IOWA)
    assert linked(session, compound) == ["barack-obama", "iowa", "mike-pence"]
    assert linked(session, other) == ["iowa"]


def test_a_full_name_run_into_page_furniture_links_the_person(session: Session) -> None:
    evidence(session, "Ted Cruz", "Cruz")
    run_on = entity("Ted Cruz Rafael", PERSON)  # what the model made of it
    article = store(
        session, "In Iowa, Sens. Ted Cruz Rafael (Ted) Edward CruzSeven things to know.", run_on
    )
    assert linked(session, article) == ["ted-cruz", "ted-cruz-rafael"]


def test_a_full_name_is_looked_for_only_when_its_surname_is_that_person(
    session: Session,
) -> None:
    evidence(session, "Donald Trump", "Trump")
    for _ in range(MIN_EVIDENCE_UNLABELLED):
        store(session, "George Washington said.", entity("George Washington", PERSON))
    article = store(
        session, "In Iowa, Donald Trump Jr. spoke at George Washington University.", IOWA
    )
    assert linked(session, article) == ["iowa"]


def test_an_inferred_link_teaches_nothing_and_casts_no_vote(session: Session) -> None:
    evidence(session, "Nancy Pelosi", "Pelosi")
    pelosi = session.exec(select(Entity).where(col(Entity.slug) == "nancy-pelosi")).one()

    def counts() -> tuple[list[tuple[str, int, int]], list[tuple[str, int]]]:
        forms = session.exec(
            select(EntitySurfaceForm).where(col(EntitySurfaceForm.entity_id) == pelosi.id)
        ).all()
        votes = session.exec(
            select(EntityTypeVote).where(col(EntityTypeVote.entity_id) == pelosi.id)
        ).all()
        return (
            sorted((f.normalised, f.articles, f.in_context) for f in forms),
            sorted((v.type, v.articles) for v in votes),
        )

    forms_before, votes_before = counts()
    article = store(session, "In Iowa, Pelosi's aide spoke.", IOWA)
    assert linked(session, article) == ["iowa", "nancy-pelosi"]
    forms_after, votes_after = counts()
    assert votes_after == votes_before
    assert forms_after == [
        (key, articles + (key == "pelosi"), in_context)
        for key, articles, in_context in forms_before
    ]


def test_an_article_the_model_did_not_read_gets_nothing(session: Session) -> None:
    evidence(session, "Nancy Pelosi", "Pelosi")
    client_only = entity("Iowa", PLACE, source=EntitySource.CLIENT)
    article = store(session, "In Iowa, Pelosi spoke.", client_only)
    assert linked(session, article) == ["iowa"]


def test_a_pair_marked_distinct_is_not_linked(session: Session) -> None:
    evidence(session, "Nancy Pelosi", "Pelosi")
    session.add(EntityDistinctPair(first="nancy-pelosi", second="pelosi", actor="test"))
    session.commit()
    article = store(session, "In Iowa, Pelosi spoke.", IOWA)
    assert linked(session, article) == ["iowa"]


def test_only_people_are_found_this_way(session: Session) -> None:
    for _ in range(MIN_EVIDENCE_UNLABELLED):
        store(
            session,
            "The Acme Widget Company (Acme) said. Acme left.",
            entity("Acme Widget Company", ORG, "Acme"),
        )
    article = store(session, "In Iowa, Acme spoke.", IOWA)
    assert linked(session, article) == ["iowa"]
    assert session.execute(sa.select(sa.func.count()).select_from(Entity)).scalar_one() == 2
