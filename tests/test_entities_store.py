"""Stored entities on both backends: linking at write time, aliases, containing places,
concurrent writers, merges, document entities and lookups."""

import threading
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.articles import service as articles_service
from app.articles.models import Article
from app.articles.schemas import ArticleCreate, ArticleUpdate
from app.entities import service
from app.entities.models import ArticleEntityLink, Entity, EntityAlias, EntityRedirect
from app.entities.schemas import EntityIn
from app.entities.types import ArticleEntity, ArticleText, DocumentEntity, EntitySource, EntityType
from app.outbox import OutboxEntry

PLACE, PERSON, ORG = EntityType.PLACE, EntityType.PERSON, EntityType.ORGANIZATION


def found(
    slug: str,
    name: str,
    type: EntityType,
    mentions: int = 1,
    *,
    aliases: tuple[str, ...] = (),
    within: str | None = None,
    source: EntitySource = EntitySource.EXTRACTED,
    first: int | None = 0,
) -> ArticleEntity:
    return ArticleEntity(
        slug=slug,
        name=name,
        type=type,
        mentions=mentions,
        first_position=first,
        source=source,
        aliases=aliases or (name,),
        within=within,
    )


def store(
    session: Session,
    n: int,
    entities: list[ArticleEntity],
    *,
    published_at: datetime | None = None,
) -> int:
    data = ArticleCreate(
        url=f"https://example.org/{n}", title=f"Story {n}", body="Text.", published_at=published_at
    )
    article, _ = articles_service.upsert(session=session, data=data, entities=entities)
    assert article.id is not None
    return article.id


def links(session: Session, article_id: int) -> dict[str, tuple[int, int | None, str]]:
    rows = session.exec(
        select(Entity.slug, ArticleEntityLink)
        .join(ArticleEntityLink, col(ArticleEntityLink.entity_id) == col(Entity.id))
        .where(col(ArticleEntityLink.article_id) == article_id)
    ).all()
    return {slug: (link.mentions, link.first_position, link.source) for slug, link in rows}


def aliases_of(session: Session, slug: str) -> dict[str, str]:
    rows = session.exec(
        select(EntityAlias.normalised, EntityAlias.alias)
        .join(Entity, col(Entity.id) == col(EntityAlias.entity_id))
        .where(col(Entity.slug) == slug)
    ).all()
    return dict(rows)


def outbox_ids(session: Session) -> list[int]:
    return sorted(session.exec(select(OutboxEntry.article_id)).all())


def clear_outbox(session: Session) -> None:
    session.execute(sa.delete(OutboxEntry))
    session.commit()


def test_normalise_ignores_case_diacritics_and_punctuation() -> None:
    assert service.normalise("São Paulo") == "sao-paulo"
    assert service.normalise("SAO  PAULO") == "sao-paulo"
    assert service.normalise("U.S.") == "us"
    assert service.normalise("Москва") == "москва"
    assert service.normalise("  ") == ""
    assert service.normalise("...") == ""


def test_link_creates_entities_aliases_and_the_containing_country(session: Session) -> None:
    article_id = store(
        session,
        1,
        [
            found("washington", "Washington", PLACE, 2, within="united-states", first=10),
            found(
                "nikol-pashinyan",
                "Nikol Pashinyan",
                PERSON,
                3,
                aliases=("Nikol Pashinyan", "Pashinyan"),
                first=0,
            ),
        ],
    )

    entities = {e.slug: e for e in session.exec(select(Entity)).all()}
    assert sorted(entities) == ["nikol-pashinyan", "united-states", "washington"]
    assert entities["united-states"].name == "United States"
    assert entities["united-states"].type == "place"
    assert entities["washington"].within_id == entities["united-states"].id
    assert entities["nikol-pashinyan"].within_id is None
    assert links(session, article_id) == {
        "washington": (2, 10, "extracted"),
        "nikol-pashinyan": (3, 0, "extracted"),
    }
    assert aliases_of(session, "nikol-pashinyan") == {
        "nikol-pashinyan": "Nikol Pashinyan",
        "pashinyan": "Pashinyan",
    }
    assert aliases_of(session, "united-states") == {"united-states": "United States"}


def test_one_slug_in_many_articles_is_one_entity(session: Session) -> None:
    first = store(session, 1, [found("japan", "Japan", PLACE, aliases=("Japan", "Japanese"))])
    second = store(session, 2, [found("japan", "Japan", PLACE, 4, aliases=("Nippon",))])

    assert session.exec(select(sa.func.count()).select_from(Entity)).one() == 1
    assert links(session, first) == {"japan": (1, 0, "extracted")}
    assert links(session, second) == {"japan": (4, 0, "extracted")}
    assert aliases_of(session, "japan") == {
        "japan": "Japan",
        "japanese": "Japanese",
        "nippon": "Nippon",
    }
    japan = service.get_by_slug(session=session, slug="japan")
    assert service.article_counts(session=session, entity_ids=[japan.id or 0]) == {japan.id: 2}


def test_an_alias_belongs_to_the_entity_that_first_had_it(session: Session) -> None:
    store(session, 1, [found("washington", "Washington", PLACE, within="united-states")])
    store(
        session,
        2,
        [
            found(
                "george-washington",
                "George Washington",
                PERSON,
                aliases=("George Washington", "Washington"),
            )
        ],
    )
    assert aliases_of(session, "george-washington") == {"george-washington": "George Washington"}
    assert aliases_of(session, "washington") == {"washington": "Washington"}


def test_client_entities_count_as_content(session: Session) -> None:
    def post(entities: list[EntityIn]) -> articles_service.Outcome:
        data = ArticleCreate(
            url="https://example.org/a",
            title="Bridge reopens",
            body="The harbour bridge reopened.",
            entities=entities,
        )
        _, outcome = articles_service.upsert(session=session, data=data, extract=False)
        return outcome

    authority = EntityIn(name="Harbour Authority", type=ORG)
    lisbon = EntityIn(name="Lisbon", type=PLACE)
    assert post([authority]) is articles_service.Outcome.created
    clear_outbox(session)

    assert post([authority]) is articles_service.Outcome.unchanged
    assert outbox_ids(session) == []
    assert post([lisbon, authority]) is articles_service.Outcome.updated
    assert links(session, 1) == {
        "harbour-authority": (0, None, "client"),
        "lisbon": (0, None, "client"),
    }
    assert post([]) is articles_service.Outcome.updated
    assert links(session, 1) == {}
    assert outbox_ids(session) == [1, 1]


def test_extraction_off_keeps_only_the_client_entities(session: Session) -> None:
    data = ArticleCreate(
        title="Japan and Canada sign a trade deal",
        body="Japan and Canada signed a trade deal in Ottawa on Monday.",
        entities=[EntityIn(name="Canada", type=PLACE, slug="canada")],
    )
    article, _ = articles_service.upsert(session=session, data=data, extract=False)
    assert links(session, article.id or 0) == {"canada": (2, 10, "client")}


def test_editing_the_text_keeps_the_client_entities(session: Session) -> None:
    data = ArticleCreate(
        title="Quiet day", body="Nothing happened.", entities=[EntityIn(name="Lisbon", type=PLACE)]
    )
    article, _ = articles_service.upsert(session=session, data=data, extract=False)
    changes = ArticleUpdate(body="Still nothing happened in Lisbon, or Lisbon.")
    articles_service.update(session=session, article=article, changes=changes, extract=False)
    assert links(session, article.id or 0) == {"lisbon": (2, 37, "client")}


def test_analyse_returns_entities_in_input_order_and_nothing_for_empty_or_foreign_text() -> None:
    texts = [
        ArticleText(title="Brazil cuts coffee export tax", body="Brazil cut its coffee tax."),
        ArticleText(title=""),
        ArticleText(
            title="Nachrichten",
            body="Die Regierung in Berlin hat am Montag beschlossen, dass die neuen Regeln für "
            "alle Unternehmen gelten sollen, die mehr als zehn Mitarbeiter haben.",
        ),
        ArticleText(title="Talks in Canada", body="Ministers met in Canada on Monday."),
    ]
    result = service.analyse(texts, batch_size=2)
    assert [[(e.slug, e.type) for e in entities] for entities in result] == [
        [("brazil", PLACE)],
        [],
        [],
        [("canada", PLACE)],
    ]


def test_concurrent_writers_of_the_same_new_entity_share_it(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as setup:
        first, second = store(setup, 1, []), store(setup, 2, [])
    shared = [
        found("harbour-authority", "Harbour Authority", ORG),
        found("lisbon", "Lisbon", PLACE, within="portugal"),
    ]
    first_linked = threading.Event()
    errors: list[BaseException] = []

    def link(article_id: int, hold: bool) -> None:
        try:
            with Session(engine) as session:
                if not hold:
                    first_linked.wait(10)
                service.link_article(
                    session=session, article_id=article_id, published_at=None, entities=shared
                )
                if hold:
                    # The other writer now tries to create the same rows before we commit.
                    first_linked.set()
                    threading.Event().wait(0.3)
                session.commit()
        except BaseException as exc:  # failed writers are asserted on below
            errors.append(exc)
            first_linked.set()

    threads = [
        threading.Thread(target=link, args=(first, True)),
        threading.Thread(target=link, args=(second, False)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    with Session(engine) as session:
        assert sorted(session.exec(select(Entity.slug)).all()) == [
            "harbour-authority",
            "lisbon",
            "portugal",
        ]
        assert links(session, first) == links(session, second)
        assert links(session, first) == {
            "harbour-authority": (1, 0, "extracted"),
            "lisbon": (1, 0, "extracted"),
        }


def test_merge_moves_links_adds_mentions_and_leaves_a_redirect(session: Session) -> None:
    both = store(
        session,
        1,
        [
            found("nikol-pashinyan", "Nikol Pashinyan", PERSON, 2, first=5),
            found("pashinyan", "Pashinyan", PERSON, 3, first=1),
        ],
    )
    only_b = store(session, 2, [found("pashinyan", "Pashinyan", PERSON, 1, first=7)])
    unrelated = store(session, 3, [found("armenia", "Armenia", PLACE)])
    clear_outbox(session)
    into = service.get_by_slug(session=session, slug="nikol-pashinyan")
    merged = service.get_by_slug(session=session, slug="pashinyan")

    service.merge(session=session, into=into, merged=merged)

    assert links(session, both) == {"nikol-pashinyan": (5, 1, "extracted")}
    assert links(session, only_b) == {"nikol-pashinyan": (1, 7, "extracted")}
    assert links(session, unrelated) == {"armenia": (1, 0, "extracted")}
    assert aliases_of(session, "nikol-pashinyan") == {
        "nikol-pashinyan": "Nikol Pashinyan",
        "pashinyan": "Pashinyan",
    }
    assert session.exec(select(Entity.slug).where(col(Entity.slug) == "pashinyan")).all() == []
    assert session.exec(select(EntityRedirect.slug)).all() == ["pashinyan"]
    assert outbox_ids(session) == [both, only_b]

    later = store(session, 4, [found("pashinyan", "Pashinyan", PERSON, 2)])
    assert links(session, later) == {"nikol-pashinyan": (2, 0, "extracted")}
    assert service.get_by_slug(session=session, slug="pashinyan").slug == "nikol-pashinyan"


def test_the_links_follow_the_article_date_and_go_with_the_article(session: Session) -> None:
    march = datetime(2024, 3, 1, 12, tzinfo=UTC)
    april = datetime(2024, 4, 2, 8, tzinfo=UTC)
    article_id = store(session, 1, [found("japan", "Japan", PLACE)], published_at=march)
    article = articles_service.get(session=session, article_id=article_id)
    articles_service.update(
        session=session, article=article, changes=ArticleUpdate(published_at=april)
    )
    dates = session.exec(select(ArticleEntityLink.published_at)).all()
    assert dates == [april]

    articles_service.delete(session=session, article=article)
    assert session.exec(select(ArticleEntityLink)).all() == []
    assert session.exec(select(Entity.slug)).all() == ["japan"]


def test_document_entities_carry_aliases_types_and_containing_places(session: Session) -> None:
    article_id = store(
        session,
        1,
        [
            found("washington", "Washington", PLACE, within="united-states", first=20),
            found("department-of-agriculture", "Agriculture Department", ORG, first=3),
        ],
    )
    store(session, 2, [found("united-states", "United States", PLACE, aliases=("U.S.",))])
    empty = store(session, 3, [])

    documents = service.load_document_entities(session, [article_id, empty])

    assert documents == {
        article_id: [
            DocumentEntity(
                slug="department-of-agriculture",
                name="Agriculture Department",
                type="organization",
                aliases=("Agriculture Department",),
                within=(),
            ),
            DocumentEntity(
                slug="washington",
                name="Washington",
                type="place",
                aliases=("Washington",),
                within=("united-states",),
            ),
        ]
    }


def test_lookup_by_slug_name_alias_and_canonical_name(session: Session) -> None:
    store(session, 1, [found("sao-paulo", "São Paulo", PLACE, within="brazil")])
    store(session, 2, [found("united-states", "United States", PLACE, aliases=("U.S.",))])

    def slug_of(value: str) -> str | None:
        entity = service.lookup(session=session, value=value)
        return entity.slug if entity else None

    assert slug_of("sao-paulo") == "sao-paulo"
    assert slug_of("SAO PAULO") == "sao-paulo"
    assert slug_of("são paulo") == "sao-paulo"
    assert slug_of("u.s.") == "united-states"
    assert slug_of("America") == "united-states"
    assert slug_of("USA") == "united-states"
    assert slug_of("Brazil") == "brazil"
    assert slug_of("Atlantis") is None
    assert service.resolve_for_search(session, ["United States", "Atlantis"]) == (
        ["united-states", "atlantis"],
        ["entity 'Atlantis' matches no known entity; it matches no article"],
    )


def test_articles_without_entities_show_none(session: Session) -> None:
    article_id = store(session, 1, [])
    assert service.article_entities(session=session, article_ids=[article_id]) == {article_id: []}
    assert session.exec(select(Article.id)).all() == [article_id]
