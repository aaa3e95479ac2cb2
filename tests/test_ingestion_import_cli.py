"""`newsarchive import`: files of our own in every format, resume, interruption, search."""

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select
from typer.testing import CliRunner, Result

from app.articles.models import Article
from app.cli import app
from app.config import Settings, get_settings
from app.db import make_engine
from app.entities import service as entity_service
from app.entities.types import ArticleText
from app.ingestion import importer, jsonl, service, sources
from app.ingestion.importer import Importer, ImportOptions
from app.ingestion.parsed import ParsedArticle, ParseError
from app.ingestion.sources import Format, discover
from app.outbox import OutboxEntry
from app.paths import SHARED_DATA
from tests.conftest import sync_index
from tests.corpus import requires_corpus


def jsonl_article(n: int, **overrides: Any) -> dict[str, Any]:
    return {
        "url": f"https://harbour.example/news/{n}",
        "title": f"Harbour board meeting number {n}",
        "body": f"The harbour board met on Tuesday for meeting number {n} and approved the budget.",
        "source": "Harbour Herald",
        "published_at": "2024-04-02T10:00:00+00:00",
        **overrides,
    }


def write_jsonl(path: Path, lines: Iterable[dict[str, Any] | str]) -> Path:
    path.write_text(
        "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines),
        encoding="utf-8",
    )
    return path


REUTERS_SGM = """<!DOCTYPE lewis SYSTEM "lewis.dtd">
<REUTERS TOPICS="YES" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="1" NEWID="9001">
<DATE>14-MAR-1987 09:12:44.10</DATE>
<TOPICS><D>grain</D></TOPICS>
<PLACES><D>usa</D><D>canada</D></PLACES>
<PEOPLE><D>james-baker</D></PEOPLE>
<ORGS></ORGS>
<EXCHANGES></EXCHANGES>
<COMPANIES></COMPANIES>
<UNKNOWN>&#5;&#5;&#5;G
&#22;&#22;&#1;f0001&#31;reute
u f BC-GRAIN-TALKS   03-14 0071</UNKNOWN>
<TEXT>&#2;
<TITLE>GRAIN TALKS RESUME IN OTTAWA</TITLE>
<DATELINE>    OTTAWA, March 14 - </DATELINE><BODY>Grain negotiators from the two countries
met again on Saturday to discuss export quotas, officials said.
    Treasury Secretary James Baker was not present at the talks.
 Reuter
&#3;</BODY></TEXT>
</REUTERS>
<REUTERS TOPICS="NO" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="2" NEWID="9002">
<DATE>14-MAR-1987 09:15:00.00</DATE>
<TOPICS></TOPICS>
<PLACES></PLACES>
<PEOPLE></PEOPLE>
<ORGS></ORGS>
<EXCHANGES></EXCHANGES>
<COMPANIES></COMPANIES>
<TEXT TYPE="UNPROC">&#2;
 a table of figures without a title
&#3;</TEXT>
</REUTERS>
"""

RAW_TEXT = """Ferry timetable changes from Monday

Morning crossings move half an hour earlier for the summer

The first ferry will now leave the harbour at 6.30.

Advertisement

The last evening crossing stays at 22.00, the operator said.

Home
"""


@pytest.fixture
def cli_settings(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The command reads its settings from the environment: point it at the test database."""
    monkeypatch.setenv("DATABASE_URL", settings.DATABASE_URL)
    monkeypatch.setenv("DATA_DIR", str(settings.DATA_DIR))
    monkeypatch.setenv("LOG_FORMAT", "console")
    monkeypatch.setenv("COLUMNS", "200")  # rich tables at full width, for reading them back
    get_settings.cache_clear()
    yield settings
    get_settings.cache_clear()


def run_import(*args: str | Path) -> Result:
    return CliRunner().invoke(app, ["import", *(str(arg) for arg in args)])


def row(output: str, first_cell: str) -> list[str]:
    """The cells of the table row whose first cell is `first_cell`."""
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row {first_cell!r} in:\n{output}")


def stored(settings: Settings) -> list[Article]:
    engine = make_engine(settings)
    try:
        with Session(engine) as session:
            return list(session.exec(select(Article).order_by(col(Article.id))).all())
    finally:
        engine.dispose()


def outbox_article_ids(settings: Settings) -> list[int]:
    engine = make_engine(settings)
    try:
        with Session(engine) as session:
            return sorted({e.article_id for e in session.exec(select(OutboxEntry)).all()})
    finally:
        engine.dispose()


def test_jsonl_with_broken_lines(cli_settings: Settings, tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "harbour.jsonl",
        [
            jsonl_article(1),
            "{broken",
            jsonl_article(2),
            {"title": "No body at all"},
            jsonl_article(3, url="not a url"),
            jsonl_article(4),
        ],
    )
    result = run_import(path)
    assert result.exit_code == 0, result.output
    #          File,     Records, Created, Updated, Unchanged, Duplicates, Skipped, Errors
    assert row(result.output, str(path)) == [str(path), "6", "3", "0", "0", "0", "0", "3"]
    assert row(result.output, "total")[1:] == ["6", "3", "0", "0", "0", "0", "3"]
    assert "Broken records (3)" in result.output
    broken = {
        cells[1]: cells[2]
        for line in result.output.split("Broken records (3)", 1)[1].splitlines()
        if len(cells := [c.strip() for c in line.split("│")[1:-1]]) == 3
    }
    assert broken == {
        "line 2": "line 2 is not JSON: Expecting property name enclosed in double quotes",
        "line 4": "line 4: body is missing or blank",
        "line 5": "url: Input should be a valid URL, relative URL without a base",
    }
    articles = stored(cli_settings)
    assert [a.title for a in articles] == [
        "Harbour board meeting number 1",
        "Harbour board meeting number 2",
        "Harbour board meeting number 4",
    ]
    assert outbox_article_ids(cli_settings) == [a.id for a in articles]


def test_csv_with_column_map(cli_settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "headline,text,link,when,title\n"
        'Quay wall repaired,"The old quay wall was repaired over the winter.",'
        "https://harbour.example/quay,2024-03-01T08:00:00+01:00,ignored\n"
        'Night market returns,"The night market returns to the square in May,\nwith forty stalls.",'
        "https://harbour.example/market,2024-04-01T18:00:00+02:00,ignored\n",
        encoding="utf-8",
    )
    result = run_import(
        path,
        "--csv-map", "title=headline",
        "--csv-map", "body=text",
        "--csv-map", "url=link",
        "--csv-map", "published_at=when",
        "--source", "Harbour Herald",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert row(result.output, "total")[1:] == ["2", "2", "0", "0", "0", "0", "0"]
    articles = stored(cli_settings)
    assert [(a.title, a.url, a.source) for a in articles] == [
        ("Quay wall repaired", "https://harbour.example/quay", "Harbour Herald"),
        ("Night market returns", "https://harbour.example/market", "Harbour Herald"),
    ]
    assert articles[1].body == "The night market returns to the square in May,\nwith forty stalls."
    assert articles[0].published_at is not None
    assert articles[0].published_at.isoformat() == "2024-03-01T07:00:00+00:00"


def test_csv_map_naming_a_missing_column_is_a_broken_record(
    cli_settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    path.write_text("headline,text\nA,B\n", encoding="utf-8")
    result = run_import(path, "--csv-map", "title=headline", "--csv-map", "body=content")
    assert result.exit_code == 0, result.output
    assert "--csv-map names column(s) the header lacks: content" in result.output
    bad = run_import(path, "--csv-map", "headline")
    assert bad.exit_code == 2
    assert "is not field=column" in bad.output


def test_single_text_file_with_url_and_date(cli_settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "ferry.txt"
    path.write_text(RAW_TEXT, encoding="utf-8")
    args: list[str | Path] = [
        path,
        "--url", "https://harbour.example/ferry-timetable",
        "--source", "Harbour Herald",
        "--published-at", "2024-05-03T07:00:00+02:00",
    ]  # fmt: skip
    result = run_import(*args)
    assert result.exit_code == 0, result.output
    (article,) = stored(cli_settings)
    assert article.title == "Ferry timetable changes from Monday"
    assert article.summary == "Morning crossings move half an hour earlier for the summer"
    assert article.body == (
        "The first ferry will now leave the harbour at 6.30.\n\n"
        "The last evening crossing stays at 22.00, the operator said."
    )
    assert article.url == "https://harbour.example/ferry-timetable"
    assert article.published_at is not None
    assert article.published_at.isoformat() == "2024-05-03T05:00:00+00:00"
    again = run_import(*args)
    assert row(again.output, "total")[1:] == ["1", "0", "0", "1", "0", "0", "0"]
    naive = run_import(path, "--published-at", "2024-05-03T07:00:00")
    assert naive.exit_code == 2
    assert "has no timezone offset" in naive.output


def test_reuters_sgml_of_our_own(cli_settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "wire"
    folder.mkdir()
    (folder / "reut2-000.sgm").write_text(REUTERS_SGM, encoding="latin-1")
    result = run_import(folder)
    assert result.exit_code == 0, result.output
    assert row(result.output, "wire/reut2-000.sgm")[1:] == ["2", "1", "0", "0", "0", "0", "1"]
    assert row(result.output, "wire/reut2-000.sgm")[0] == "wire/reut2-000.sgm"
    assert "NEWID 9002" in result.output
    assert "no TITLE or BODY in TEXT (unstructured story)" in result.output
    (article,) = stored(cli_settings)
    assert article.external_id == "reuters-21578:9001"
    assert article.title == "GRAIN TALKS RESUME IN OTTAWA"
    assert article.body.startswith("OTTAWA, March 14 - Grain negotiators from the two countries")
    assert article.source == "Reuters"
    assert article.tags == ["grain", "usa", "canada", "james-baker"]
    engine = make_engine(cli_settings)
    try:
        with Session(engine) as session:
            assert article.id is not None
            entities = entity_service.article_entities(session=session, article_ids=[article.id])
    finally:
        engine.dispose()
    client_named = {(e.name, e.type.value) for e in entities[article.id] if e.source == "client"}
    assert client_named == {
        ("United States", "place"),
        ("Canada", "place"),
        ("James Baker", "person"),
    }


def test_resume_skips_what_is_stored(cli_settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "feeds"
    folder.mkdir()
    write_jsonl(folder / "a.jsonl", [jsonl_article(n) for n in range(3)])
    write_jsonl(folder / "b.jsonl", [jsonl_article(n) for n in range(3, 5)])
    first = run_import(folder)
    assert row(first.output, "total")[1:] == ["5", "5", "0", "0", "0", "0", "0"]
    resumed = run_import(folder, "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert row(resumed.output, "feeds/a.jsonl")[1:] == ["3", "0", "0", "0", "0", "3", "0"]
    assert row(resumed.output, "total")[1:] == ["5", "0", "0", "0", "0", "5", "0"]
    again = run_import(folder)
    assert row(again.output, "total")[1:] == ["5", "0", "0", "5", "0", "0", "0"]
    assert len(stored(cli_settings)) == 5


def test_duplicates_are_counted(cli_settings: Settings, tmp_path: Path) -> None:
    same = {"title": "Same story", "body": "The very same words under two addresses."}
    path = write_jsonl(
        tmp_path / "dupes.jsonl",
        [{**same, "url": "https://a.example/1"}, {**same, "url": "https://b.example/1"}],
    )
    result = run_import(path)
    assert row(result.output, "total")[1:] == ["2", "2", "0", "0", "1", "0", "0"]
    first, second = stored(cli_settings)
    assert second.duplicate_of == first.id


def test_limit_and_report_file(cli_settings: Settings, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", ["oops", *(jsonl_article(n) for n in range(5))])
    report = tmp_path / "broken.jsonl"
    result = run_import(path, "--limit", "3", "--report", report)
    assert result.exit_code == 0, result.output
    assert row(result.output, "total")[1:] == ["3", "2", "0", "0", "0", "0", "1"]
    assert [json.loads(line) for line in report.read_text().splitlines()] == [
        {"file": str(path), "record": "line 1", "reason": "line 1 is not JSON: Expecting value"}
    ]


def test_unknown_extension_and_missing_path_are_usage_errors(
    cli_settings: Settings, tmp_path: Path
) -> None:
    odd = tmp_path / "notes.docx"
    odd.write_bytes(b"PK")
    assert run_import(odd).exit_code == 2
    assert run_import(tmp_path / "nowhere").exit_code == 2
    assert stored(cli_settings) == []


def test_imported_articles_become_searchable(
    search_client: TestClient,
    search_settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", search_settings.DATABASE_URL)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    try:
        path = write_jsonl(tmp_path / "a.jsonl", [jsonl_article(n) for n in range(6)])
        result = run_import(path)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    sync_index(search_client)
    found = search_client.get("/search", params={"q": "harbour board meeting"}).json()
    count = search_client.get("/articles", params={"count": "true"}).json()["count"]
    assert found["total"] == count == 6


# --- interruption ----------------------------------------------------------------------------


def interrupting(after: int, parse: Any) -> Any:
    """`parse` (a parser iterator) that raises KeyboardInterrupt after `after` records, as a
    Ctrl-C at that moment would."""

    def wrapped(lines: Iterable[str]) -> Iterator[tuple[int, ParsedArticle | ParseError]]:
        for number, item in enumerate(parse(lines)):
            if number == after:
                raise KeyboardInterrupt
            yield item

    return wrapped


def test_ctrl_c_while_reading_keeps_exactly_the_committed_articles(
    cli_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [jsonl_article(n) for n in range(10)])
    parse_jsonl = jsonl.parse_jsonl
    monkeypatch.setattr(sources, "parse_jsonl", interrupting(5, parse_jsonl))
    result = run_import(path, "--batch-size", "2")
    assert result.exit_code == 130, result.output
    assert "Interrupted." in result.output
    # Chunks of two: records 0-3 were written; record 4 was read but its chunk never was.
    assert row(result.output, "total")[1:] == ["4", "4", "0", "0", "0", "0", "0"]
    articles = stored(cli_settings)
    assert [a.url for a in articles] == [f"https://harbour.example/news/{n}" for n in range(4)]
    assert outbox_article_ids(cli_settings) == [a.id for a in articles]
    monkeypatch.setattr(sources, "parse_jsonl", parse_jsonl)
    resumed = run_import(path, "--resume")
    assert row(resumed.output, "total")[1:] == ["10", "6", "0", "0", "0", "4", "0"]


def test_ctrl_c_while_writing_rolls_back_that_batch(
    cli_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [jsonl_article(n) for n in range(6)])
    link = entity_service.link_articles
    calls = 0

    def link_then_interrupt(**kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        link(**kwargs)  # the article rows and their links are written, not yet committed
        if calls == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(entity_service, "link_articles", link_then_interrupt)
    result = run_import(path, "--batch-size", "2")
    assert result.exit_code == 130, result.output
    # Batches of two, each one transaction: the first is committed, the second rolled back.
    articles = stored(cli_settings)
    assert [a.url for a in articles] == [f"https://harbour.example/news/{n}" for n in range(2)]
    assert outbox_article_ids(cli_settings) == [a.id for a in articles]
    assert row(result.output, "total")[1:] == ["2", "2", "0", "0", "0", "0", "0"]
    monkeypatch.setattr(entity_service, "link_articles", link)
    resumed = run_import(path, "--resume")
    assert row(resumed.output, "total")[1:] == ["6", "4", "0", "0", "0", "2", "0"]


def refuse_title(settings: Settings, title: str) -> None:
    """A trigger that makes the database itself refuse any article with this title."""
    engine = make_engine(settings)
    try:
        with engine.begin() as connection:
            if settings.is_sqlite:
                connection.exec_driver_sql(
                    "CREATE TRIGGER refuse BEFORE INSERT ON articles "
                    f"WHEN NEW.title = '{title}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
                )
            else:
                connection.exec_driver_sql(
                    "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    f"IF NEW.title = '{title}' THEN RAISE EXCEPTION 'refused'; END IF; "
                    "RETURN NEW; END $$"
                )
                connection.exec_driver_sql(
                    "CREATE TRIGGER refuse BEFORE INSERT ON articles "
                    "FOR EACH ROW EXECUTE FUNCTION refuse()"
                )
    finally:
        engine.dispose()


def test_an_article_the_database_refuses_costs_only_itself(
    cli_settings: Settings, tmp_path: Path
) -> None:
    refuse_title(cli_settings, "Refused")
    lines = [jsonl_article(n) for n in range(5)]
    lines[2]["title"] = "Refused"
    path = write_jsonl(tmp_path / "a.jsonl", lines)
    result = run_import(path, "--batch-size", "5")
    assert result.exit_code == 0, result.output
    assert row(result.output, "total")[1:] == ["5", "4", "0", "0", "0", "0", "1"]
    assert "the database refused the article" in result.output
    articles = stored(cli_settings)
    assert [a.url for a in articles] == [f"https://harbour.example/news/{n}" for n in (0, 1, 3, 4)]
    assert outbox_article_ids(cli_settings) == [a.id for a in articles]
    engine = make_engine(cli_settings)
    try:
        with Session(engine) as session:
            ids = [a.id for a in articles if a.id is not None]
            entities = entity_service.article_entities(session=session, article_ids=ids)
    finally:
        engine.dispose()
    assert all(entities[i] for i in ids)


def test_repeats_within_and_across_batches_are_recorded(
    cli_settings: Settings, tmp_path: Path
) -> None:
    same = {"title": "Harbour board meets", "body": "The harbour board met on Tuesday."}
    path = write_jsonl(
        tmp_path / "a.jsonl",
        [
            jsonl_article(0, **same),
            jsonl_article(1),
            jsonl_article(2, **same),  # same text under another url, same batch
            jsonl_article(1, title="Harbour board meeting number 1, corrected"),  # same url
            jsonl_article(3, **same),  # next batch
        ],
    )
    result = run_import(path, "--batch-size", "4")
    assert result.exit_code == 0, result.output
    assert row(result.output, "total")[1:] == ["5", "4", "1", "0", "2", "0", "0"]
    by_url = {a.url: a for a in stored(cli_settings)}
    first = by_url["https://harbour.example/news/0"]
    assert first.duplicate_of is None
    assert by_url["https://harbour.example/news/2"].duplicate_of == first.id
    assert by_url["https://harbour.example/news/3"].duplicate_of == first.id
    assert by_url["https://harbour.example/news/1"].title.endswith("corrected")


# --- the engine without the command line ------------------------------------------------------


def test_worker_processes_store_the_same_articles(settings: Settings, tmp_path: Path) -> None:
    if not settings.is_sqlite:
        pytest.skip("the process pool is independent of the database")
    path = write_jsonl(tmp_path / "a.jsonl", [jsonl_article(n) for n in range(5)])
    engine = make_engine(settings)
    try:
        options = ImportOptions(processes=2, batch_size=2)
        report = Importer(engine=engine, options=options).run(discover([path]))
        with Session(engine) as session:
            ids = [a.id for a in session.exec(select(Article)).all() if a.id is not None]
            entities = entity_service.article_entities(session=session, article_ids=ids)
    finally:
        engine.dispose()
    assert report.total.created == 5
    assert not report.interrupted
    # Extracted in the workers: the model found the harbour board in every article.
    assert all(entities[i] for i in ids)


def test_folder_shapes_are_recognised(tmp_path: Path) -> None:
    reuters = tmp_path / "reuters"
    reuters.mkdir()
    (reuters / "reut2-000.sgm").write_text("", encoding="latin-1")
    (reuters / "README.txt").write_text("about", encoding="utf-8")
    allsides = tmp_path / "allsides" / "jsons"
    allsides.mkdir(parents=True)
    (allsides / "a1.json").write_text(json.dumps({"content_original": "x"}), encoding="utf-8")
    bbc = tmp_path / "bbc"
    (bbc / "tech").mkdir(parents=True)
    (bbc / "tech" / "001.txt").write_text("T\n\nB", encoding="utf-8")
    (bbc / "README.TXT").write_text("about", encoding="utf-8")
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    for name in ("a.jsonl", "b.csv", "c.txt", "d.html", "e.json", "f.bin"):
        (mixed / name).write_text("[]" if name.endswith(".json") else "", encoding="utf-8")

    def shapes(path: Path) -> list[tuple[str, Format]]:
        return [(f.label, f.format) for f in discover([path])]

    assert shapes(reuters) == [("reuters/reut2-000.sgm", Format.reuters)]
    assert shapes(tmp_path / "allsides") == [("allsides/jsons/a1.json", Format.allsides)]
    assert shapes(bbc) == [("bbc/tech/001.txt", Format.bbc)]
    assert shapes(mixed) == [
        ("mixed/a.jsonl", Format.jsonl),
        ("mixed/b.csv", Format.csv),
        ("mixed/c.txt", Format.txt),
        ("mixed/d.html", Format.html),
        ("mixed/e.json", Format.json),
    ]


@requires_corpus
@pytest.mark.corpus
def test_corpus_folders(settings: Settings) -> None:
    if not settings.is_sqlite:
        pytest.skip("one backend is enough for reading the corpus folders")
    engine = make_engine(settings)
    try:
        bbc = discover([SHARED_DATA / "bbc"])
        allsides = discover([SHARED_DATA / "allsides"])
        assert {f.format for f in bbc} == {Format.bbc} and len(bbc) == 2225
        assert {f.format for f in allsides} == {Format.allsides} and len(allsides) == 2300
        report = Importer(engine=engine, options=ImportOptions(limit=3)).run(bbc)
        assert report.total.created == 3
        with Session(engine) as session:
            articles = session.exec(select(Article)).all()
            assert {(a.source, a.section) for a in articles} == {("BBC News", "business")}
            assert all(
                a.external_id and a.external_id.startswith("bbc:business/") for a in articles
            )
    finally:
        engine.dispose()


def test_with_workers_busy_this_process_finds_entities_too() -> None:
    texts = [
        ArticleText(
            title=f"Harbour board meeting number {n}",
            body=f"The Harbour Board of Oslo met in Norway for meeting number {n}.",
        )
        for n in range(6)
    ]
    inputs: list[tuple[ArticleText, str]] = [(text, "en") for text in texts]
    finder = importer.EntityFinder(processes=2, batch_size=1, extract=True)
    try:
        # One worker takes up to three chunks; the rest, submitted at once, are found here.
        results = [finder.submit([one]) for one in inputs]
        found = [result() for result in results]
    finally:
        finder.close()
    assert 0 < finder.chunks_here < len(inputs)
    alone = [service.find_entities([one]) for one in inputs]
    assert found == alone
    assert all(entities[0] for entities in found)


def test_progress_is_logged_where_no_bar_can_be_drawn(
    cli_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The test runner's output is not a terminal, as a scheduled job's or a container's isn't.
    monkeypatch.setattr("app.ingestion.terminal.PROGRESS_LOG_SECONDS", 0.0)
    path = write_jsonl(tmp_path / "a.jsonl", [jsonl_article(n) for n in range(3)])
    result = run_import(path)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "import progress" in line]
    assert len(lines) == 3
