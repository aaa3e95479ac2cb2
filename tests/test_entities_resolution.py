"""Entities across the archive, on both databases: short forms resolve by the evidence of other
articles, entities made of a short form alone are merged when that evidence arrives, types
follow the articles, and operators' corrections (undo, split, delete, block, distinct) hold and
are audited."""

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.articles import service as articles_service
from app.articles.schemas import ArticleCreate
from app.auth import service as auth_service
from app.auth.models import Scope
from app.config import Settings
from app.db import make_engine
from app.entities import resolution, service
from app.entities.models import ArticleEntityLink, Entity, EntityDistinctPair, EntityMerge
from app.entities.types import ArticleEntity, EntityType
from app.main import create_app
from app.outbox import OutboxEntry
from tests.conftest import auth_headers

PERSON, ORG = EntityType.PERSON, EntityType.ORGANIZATION


def person(name: str, *forms: str, joined: tuple[str, ...] = ()) -> ArticleEntity:
    slug = "-".join(name.lower().split())
    return ArticleEntity(
        slug=slug,
        name=name,
        type=PERSON,
        mentions=1 + len(forms),
        first_position=0,
        aliases=(name, *forms),
        forms=(name, *forms),
        joined_forms=joined or forms,
    )


def alone(form: str, type: EntityType = PERSON) -> ArticleEntity:
    """A short form an article uses with no fuller name."""
    return ArticleEntity(
        slug=form.lower(),
        name=form,
        type=type,
        mentions=1,
        first_position=0,
        aliases=(form,),
        forms=(form,),
    )


_counter = iter(range(1, 10_000))


def store(session: Session, *entities: ArticleEntity, body: str = "Text.") -> int:
    n = next(_counter)
    data = ArticleCreate(url=f"https://example.org/r{n}", title=f"Story {n}", body=body)
    article, _ = articles_service.upsert(session=session, data=data, entities=list(entities))
    assert article.id is not None
    return article.id


def linked(session: Session, article_id: int) -> list[str]:
    return sorted(
        session.exec(
            select(Entity.slug)
            .join(ArticleEntityLink, col(ArticleEntityLink.entity_id) == col(Entity.id))
            .where(col(ArticleEntityLink.article_id) == article_id)
        ).all()
    )


def queued(session: Session) -> set[int]:
    return set(session.exec(select(OutboxEntry.article_id)).all())


def test_a_short_form_alone_resolves_to_the_full_name_the_archive_tied_it_to(
    session: Session,
) -> None:
    for _ in range(resolution.MIN_EVIDENCE):
        store(session, person("Barack Obama", "Obama"))
    article = store(session, alone("Obama"))
    assert linked(session, article) == ["barack-obama"]
    assert session.exec(select(Entity).where(col(Entity.slug) == "obama")).first() is None


def test_one_article_of_evidence_is_not_enough(session: Session) -> None:
    store(session, person("Barack Obama", "Obama"))
    article = store(session, alone("Obama"))
    assert linked(session, article) == ["obama"]


def test_an_entity_made_of_a_short_form_is_merged_when_the_evidence_arrives(
    session: Session,
) -> None:
    early = store(session, alone("Pelosi", ORG))  # the model typed it as an organisation
    session.exec(sa.delete(OutboxEntry))
    session.commit()
    for _ in range(resolution.MIN_EVIDENCE):
        store(session, person("Nancy Pelosi", "Pelosi"))
    assert linked(session, early) == ["nancy-pelosi"]
    assert early in queued(session)  # re-indexed with its new entity
    assert service.get_by_slug(session=session, slug="pelosi").slug == "nancy-pelosi"
    merge = session.exec(select(EntityMerge)).one()
    assert (merge.into_slug, merge.merged_slug, merge.automatic) == ("nancy-pelosi", "pelosi", True)
    assert merge.evidence == {
        "form": "pelosi",
        "articles_tying_form_to_entity": 2,
        "articles_tying_form_to_anyone": 2,
    }
    later = store(session, alone("Pelosi"))
    assert linked(session, later) == ["nancy-pelosi"]


def test_weak_evidence_keeps_namesakes_apart(session: Session) -> None:
    for _ in range(2):
        store(session, person("Bernie Sanders", "Sanders"))
        store(session, person("Sarah Huckabee Sanders", "Sanders"))
    article = store(session, alone("Sanders"))
    assert linked(session, article) == ["sanders"]


def test_a_full_name_is_never_folded_into_a_namesake(session: Session) -> None:
    for _ in range(3):
        store(session, person("Donald Trump", "Trump"))
    article = store(session, person("Melania Trump", "Trump", joined=("Trump",)))
    assert linked(session, article) == ["melania-trump"]
    assert service.get_by_slug(session=session, slug="donald-trump").name == "Donald Trump"


def test_a_learned_acronym_resolves_elsewhere(session: Session) -> None:
    agency = ArticleEntity(
        slug="bureau-of-land-management",
        name="Bureau of Land Management",
        type=ORG,
        mentions=2,
        first_position=0,
        aliases=("BLM", "Bureau of Land Management"),
        forms=("BLM", "Bureau of Land Management"),
        joined_forms=("BLM",),
    )
    store(session, agency)
    store(session, agency)
    article = store(session, alone("BLM", ORG))
    assert linked(session, article) == ["bureau-of-land-management"]


def test_the_type_follows_most_articles_unless_an_operator_set_it(session: Session) -> None:
    store(session, alone("Politico", PERSON))
    store(session, alone("Politico", ORG))
    store(session, alone("Politico", ORG))
    entity = service.get_by_slug(session=session, slug="politico")
    assert entity.type == "organization"
    from app.entities.schemas import EntityUpdate

    service.update(session=session, entity=entity, changes=EntityUpdate(type=EntityType.WORK))
    store(session, alone("Politico", ORG))
    session.refresh(entity)
    assert (entity.type, entity.type_source) == ("work", "operator")


def test_search_values_are_cleaned_and_resolved_like_mentions(session: Session) -> None:
    for _ in range(2):
        store(session, person("Donald Trump", "Trump"))
    store(session, alone("Sanders"))
    for value in ("President Trump", "Trump's", "trump", "DONALD TRUMP", "the Trump"):
        found = service.lookup(session=session, value=value)
        assert found is not None and found.slug == "donald-trump", value
    found = service.lookup(session=session, value="Sen. Sanders")
    assert found is not None and found.slug == "sanders"


# --- curation through the API ------------------------------------------------------------


@pytest.fixture
def admin(settings: Settings) -> Iterator[TestClient]:
    engine = make_engine(settings)
    with Session(engine, expire_on_commit=False) as session:
        key = auth_service.create(session=session, name="editor", scope=Scope.admin)
    engine.dispose()
    with TestClient(create_app(settings), headers=auth_headers(key.plaintext)) as client:
        yield client


def problem(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    detail: str = response.json()["detail"]
    return detail


def test_an_automatic_merge_can_be_undone_once_and_then_holds(
    admin: TestClient, session: Session
) -> None:
    early = store(session, alone("Obama"))
    for _ in range(2):
        store(session, person("Barack Obama", "Obama"))
    detail = admin.get("/entities/barack-obama").json()
    [merge] = detail["merges"]
    assert merge["merged"] == "obama" and merge["automatic"] is True
    assert {"form": "Obama", "articles": 3, "in_context": 2} in detail["forms"]

    undone = admin.post(f"/entities/merges/{merge['id']}/undo", json={"reason": "another Obama"})
    assert undone.status_code == 200, undone.text
    assert undone.json()["slug"] == "obama"
    session.expire_all()
    assert linked(session, early) == ["obama"]
    assert admin.get("/entities/barack-obama").json()["article_count"] == 2

    assert "already undone" in problem(
        admin.post(f"/entities/merges/{merge['id']}/undo", json={}), 409
    )
    # Marked distinct by the undo: more evidence does not merge them again.
    store(session, person("Barack Obama", "Obama"))
    assert service.get_by_slug(session=session, slug="obama").slug == "obama"
    log = admin.get("/entities/audit", params={"entity": "obama"}).json()["data"]
    assert [entry["action"] for entry in log] == ["undo_merge", "merge"]
    assert log[0]["actor"].startswith("key:editor#") and log[0]["reason"] == "another Obama"
    assert log[1]["actor"] == "system"


def test_distinct_entities_need_force_to_be_merged(admin: TestClient, session: Session) -> None:
    store(session, person("Bernie Sanders"))
    store(session, person("Sarah Huckabee Sanders"))
    pair = {"first": "bernie-sanders", "second": "sarah-huckabee-sanders", "reason": "two people"}
    assert admin.post("/entities/distinct", json=pair).status_code == 201
    assert admin.post("/entities/distinct", json=pair).status_code == 200
    body = {"into": "bernie-sanders", "merge": "sarah-huckabee-sanders"}
    assert "marked as different" in problem(admin.post("/entities/merge", json=body), 409)
    merged = admin.post("/entities/merge", json={**body, "force": True})
    assert merged.status_code == 200, merged.text


def test_split_moves_the_articles_that_use_only_that_form(
    admin: TestClient, session: Session
) -> None:
    both = store(session, person("Bernie Sanders", "Sanders"), body="Bernie Sanders, Sanders.")
    short = store(session, alone("Sanders"), body="Press secretary Sanders said.")
    admin.post("/entities/merge", json={"into": "bernie-sanders", "merge": "sanders"})
    response = admin.post(
        "/entities/bernie-sanders/split",
        json={"form": "Sanders", "name": "Sarah Sanders", "reason": "press secretary"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["slug"] == "sarah-sanders"
    session.expire_all()
    assert linked(session, short) == ["sarah-sanders"]
    assert linked(session, both) == ["bernie-sanders"]
    lonely = store(session, person("Joe Biden"))
    assert lonely
    assert "only form" in problem(
        admin.post("/entities/joe-biden/split", json={"form": "Joe Biden"}), 409
    )
    assert "not a form" in problem(
        admin.post("/entities/joe-biden/split", json={"form": "Biden"}), 404
    )


def test_blocked_forms_never_become_entities(admin: TestClient, session: Session) -> None:
    store(session, person("Joe Biden"))
    assert "name of entity" in problem(
        admin.post("/entities/blocked-forms", json={"form": "Joe Biden"}), 409
    )
    response = admin.post("/entities/blocked-forms", json={"form": "Route", "reason": "debris"})
    assert response.status_code == 201, response.text
    article = store(session, alone("Route", ORG), person("Joe Biden"))
    assert linked(session, article) == ["joe-biden"]
    assert [b["normalised"] for b in admin.get("/entities/blocked-forms").json()] == ["route"]
    assert admin.delete("/entities/blocked-forms/Route").status_code == 204
    again = store(session, alone("Route", ORG))
    assert linked(session, again) == ["route"]


def test_deleting_a_false_entity_unlinks_it_and_keeps_it_away(
    admin: TestClient, session: Session
) -> None:
    article = store(session, alone("Loading", ORG), person("Joe Biden"))
    session.exec(sa.delete(OutboxEntry))
    session.commit()
    assert admin.delete("/entities/loading", params={"reason": "page debris"}).status_code == 204
    session.expire_all()
    assert linked(session, article) == ["joe-biden"]
    assert article in queued(session)
    assert admin.get("/entities/loading").status_code == 404
    assert linked(session, store(session, alone("Loading", ORG))) == []


def test_curation_needs_an_admin_key(client: TestClient) -> None:
    response = client.post("/entities/blocked-forms", json={"form": "State"})
    assert response.status_code == 403
    assert client.get("/entities/audit").status_code == 403


def test_consolidate_merges_what_the_evidence_now_resolves(
    admin: TestClient, session: Session
) -> None:
    early = store(session, alone("Obama"))
    for _ in range(2):
        store(session, person("Barack Obama", "Obama"))
    # Without the incremental merge (say, evidence imported before this version).
    admin.post(
        f"/entities/merges/{admin.get('/entities/barack-obama').json()['merges'][0]['id']}/undo",
        json={},
    )
    session.execute(sa.text("DELETE FROM entity_distinct_pairs"))
    session.commit()
    report = admin.post("/entities/consolidate")
    assert report.status_code == 200, report.text
    assert report.json()["merged"] == 1
    session.expire_all()
    assert linked(session, early) == ["barack-obama"]


def test_a_full_name_with_middle_names_or_a_formal_first_name_is_the_plain_named_person(
    session: Session,
) -> None:
    store(session, person("Joe Biden"))
    store(session, person("George W. Bush".replace(".", "")))
    for name in ("Joseph R. Biden", "Joseph Biden", "Joe R. Biden"):
        article = store(session, person(name.replace(".", "")))
        assert linked(session, article) == ["joe-biden"], name
    # Another middle name is another person; a suffix too.
    assert linked(session, store(session, person("George H W Bush"))) == ["george-h-w-bush"]
    assert linked(session, store(session, person("Joe Biden Jr"))) == ["joe-biden-jr"]
    found = service.lookup(session=session, value="Joseph Biden")
    assert found is not None and found.slug == "joe-biden"


def test_variants_of_a_name_stay_one_entity_in_either_order(session: Session) -> None:
    early = store(session, person("Sarah Huckabee Sanders"))
    later = store(session, person("Sarah Sanders"))
    assert linked(session, early) == linked(session, later) == ["sarah-huckabee-sanders"]


def test_variants_first_seen_together_are_folded_into_the_plain_name(session: Session) -> None:
    first, second = store(session, person("Ana Paula Ruiz")), store(session, person("Dee Lo"))
    service.link_articles(
        session=session,
        articles=[
            (first, None, [person("Maria Jose Ortiz")]),
            (second, None, [person("Maria Ortiz")]),
        ],
    )
    session.commit()
    assert linked(session, first) == linked(session, second) == ["maria-ortiz"]
    merge = session.exec(select(EntityMerge)).one()
    assert (merge.into_slug, merge.merged_slug) == ("maria-ortiz", "maria-jose-ortiz")


def test_names_joined_by_a_hyphen_are_each_name_when_the_archive_knows_them(
    session: Session,
) -> None:
    for _ in range(2):
        store(session, person("Donald Trump", "Trump"), person("Mike Pence", "Pence"))
    article = store(session, alone("Trump-Pence", ORG))
    assert linked(session, article) == ["donald-trump", "mike-pence"]
    # A hyphenated surname is one name: its parts are nobody the archive knows.
    for _ in range(2):
        store(session, person("Alexandria Ocasio-Cortez", "Ocasio-Cortez"))
    later = store(session, alone("Ocasio-Cortez", ORG))
    assert linked(session, later) == ["alexandria-ocasio-cortez"]


def test_a_name_in_reverse_order_is_the_stored_person(session: Session) -> None:
    store(session, person("Donald Trump"))
    article = store(session, person("Trump Donald"))
    assert linked(session, article) == ["donald-trump"]


# --- what a review found ------------------------------------------------------------------


def test_variants_of_one_name_in_one_batch_do_not_fail_the_write(session: Session) -> None:
    first, second = store(session, person("Ann Lee")), store(session, person("Bo Chan"))
    service.link_articles(
        session=session,
        articles=[
            (first, None, [person("Joe Biden"), person("Joseph Biden")]),
            (second, None, [person("Bill Clinton"), person("William Clinton")]),
        ],
    )
    session.commit()
    assert linked(session, first) == ["joe-biden"]
    assert linked(session, second) == ["bill-clinton"]


def test_a_plain_name_taken_by_one_middle_name_does_not_take_another(session: Session) -> None:
    store(session, person("George Bush"))
    w = store(session, person("George W Bush"))
    hw = store(session, person("George H W Bush"))
    assert linked(session, w) == ["george-bush"]
    assert linked(session, hw) == ["george-h-w-bush"]


def test_an_edited_article_is_not_counted_twice_as_evidence(session: Session) -> None:
    article = store(session, person("Barack Obama", "Obama"))
    service.link_articles(
        session=session, articles=[(article, None, [person("Barack Obama", "Obama")])]
    )
    session.commit()
    later = store(session, alone("Obama"))
    assert linked(session, later) == ["obama"]  # one article of evidence, not two


def test_an_entity_the_articles_type_otherwise_needs_weightier_evidence(session: Session) -> None:
    for _ in range(5):
        store(session, alone("Bloomberg", ORG))
    for _ in range(2):
        store(session, person("Michael Bloomberg", "Bloomberg"))
    assert service.get_by_slug(session=session, slug="bloomberg").slug == "bloomberg"
    for _ in range(1):
        store(session, person("Michael Bloomberg", "Bloomberg"))
    # Three articles tie the form to him: half of the company's five, so it is folded in now,
    # and his type stays a person's (a short form's votes are not added to a full name).
    merged = service.get_by_slug(session=session, slug="bloomberg")
    assert (merged.slug, merged.type) == ("michael-bloomberg", "person")


def test_a_distinct_mark_survives_later_merges(admin: TestClient, session: Session) -> None:
    store(session, alone("Obama"))
    for _ in range(2):
        store(session, person("Barack Obama", "Obama"))
    merge_id = admin.get("/entities/barack-obama").json()["merges"][0]["id"]
    assert admin.post(f"/entities/merges/{merge_id}/undo", json={}).status_code == 200
    store(session, person("Barry Obama"))
    merged = admin.post("/entities/merge", json={"into": "barry-obama", "merge": "barack-obama"})
    assert merged.status_code == 200, merged.text
    store(session, person("Barry Obama", "Obama"))
    store(session, person("Barry Obama", "Obama"))
    assert service.get_by_slug(session=session, slug="obama").slug == "obama"


def test_curation_refusals_are_problem_documents(admin: TestClient, session: Session) -> None:
    store(session, alone("Obama"))
    for _ in range(2):
        store(session, person("Barack Obama", "Obama"))
    assert "was merged into" in problem(admin.delete("/entities/obama"), 409)
    assert admin.get("/entities/barack-obama").status_code == 200
    assert "pass back" in problem(admin.get("/entities/audit", params={"cursor": "²"}), 422)
    # A slug derived from a long name is cut to the slug column's 200 characters.
    long_name = {"form": "Obama", "name": "x" * 250}
    split = admin.post("/entities/barack-obama/split", json=long_name)
    assert split.status_code == 201, split.text
    assert split.json()["slug"] == "x" * 200
    assert "characters normalised" in problem(
        admin.post("/entities/blocked-forms", json={"form": "ß" * 300}), 422
    )
    assert admin.post("/entities/blocked-forms", json={"form": "Route"}).status_code == 201
    assert admin.post("/entities/blocked-forms", json={"form": "Route"}).status_code == 200


def test_undo_is_refused_when_the_slug_is_an_entity_again(
    admin: TestClient, session: Session
) -> None:
    store(session, alone("Obama"))
    for _ in range(2):
        store(session, person("Barack Obama", "Obama"))
    merge_id = admin.get("/entities/barack-obama").json()["merges"][0]["id"]
    split = admin.post(
        "/entities/barack-obama/split", json={"form": "Obama", "name": "Michelle Obama"}
    )
    assert split.status_code == 201, split.text
    session.exec(sa.delete(EntityDistinctPair))
    session.commit()
    store(session, alone("Pelosi"))
    session.execute(sa.text("UPDATE entities SET slug = 'obama' WHERE slug = 'pelosi'"))
    session.commit()
    assert "exists again" in problem(admin.post(f"/entities/merges/{merge_id}/undo", json={}), 409)


def test_a_first_name_two_people_share_stays_apart(session: Session) -> None:
    for _ in range(2):
        store(session, person("Hillary Clinton", "Hillary"))
        store(session, person("Bill Clinton", "Bill"))
        store(session, person("Bill Gates"))
    assert linked(session, store(session, alone("Hillary"))) == ["hillary-clinton"]
    assert linked(session, store(session, alone("Bill"))) == ["bill"]


def test_a_run_on_name_does_not_make_a_variant_ambiguous(session: Session) -> None:
    store(session, person("Joe Biden"))
    store(session, person("Joe Biden Biden"))  # page furniture run into a name
    store(session, person("Joseph R Biden"))
    assert linked(session, store(session, person("Joseph Biden"))) == ["joe-biden"]


def test_a_name_starting_with_a_given_name_is_a_person_once_a_third_say_so(
    session: Session,
) -> None:
    for name in ("Christine Lagarde", "Christine Romans", "Christine Fair"):
        store(session, person(name))
    ford = ArticleEntity(
        slug="christine-blasey-ford",
        name="Christine Blasey Ford",
        type=ORG,
        mentions=1,
        first_position=0,
        forms=("Christine Blasey Ford",),
    )
    store(session, ford)
    store(session, ford)
    entity = service.get_by_slug(session=session, slug="christine-blasey-ford")
    assert entity.type == "organization"  # no article has called her a person yet
    store(session, person("Christine Blasey Ford"))
    session.refresh(entity)
    assert entity.type == "person"


def test_a_given_name_of_too_few_people_does_not_decide(session: Session) -> None:
    store(session, person("Acme Lagarde"))
    acme = ArticleEntity(
        slug="acme-widgets", name="Acme Widgets", type=ORG, mentions=1, first_position=0
    )
    for _ in range(2):
        store(session, acme)
    store(session, person("Acme Widgets"))
    assert service.get_by_slug(session=session, slug="acme-widgets").type == "organization"
