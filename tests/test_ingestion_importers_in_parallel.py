"""Three importers at once, as on three hosts: separate processes and data directories, one
PostgreSQL and one Meilisearch, overlapping and disjoint inputs. Nothing is lost or stored
twice, no entity or alias is created twice by racing creators, and every article is indexed.
"""

import json
import subprocess
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from app.paths import PROJECT_ROOT
from app.search.client import SearchClient
from tests.meili_plugin import MeiliServer
from tests.test_faults import cli_env, meili_env, newsarchive, run_cli

#: Entities the articles name, in rotation: every importer creates every one of them at once.
NAMED = [
    {"name": "Harbour Board", "type": "organization"},
    {"name": "Ana Costa", "type": "person"},
    {"name": "Lisbon", "type": "place"},
    {"name": "Port Workers Union", "type": "organization"},
    {"name": "Rui Mendes", "type": "person"},
]
NAMED_SLUGS = {"harbour-board", "ana-costa", "lisbon", "port-workers-union", "rui-mendes"}
#: Lisbon's country comes with it, as the place that contains it (not as a link).
EXPECTED_SLUGS = NAMED_SLUGS | {"portugal"}


def article(n: int) -> dict[str, Any]:
    first, second = NAMED[n % len(NAMED)], NAMED[(n + 1) % len(NAMED)]
    return {
        "url": f"https://harbour.example/parallel/{n}",
        "title": f"Harbour dispatch {n}",
        "body": f"Dispatch {n}: {first['name']} and {second['name']} met about the quay works.",
        "source": "Harbour Herald",
        "published_at": f"2024-04-{1 + n % 28:02d}T10:00:00+00:00",
        "entities": [first, second],
    }


def write_jsonl(path: Path, numbers: range | list[int]) -> Path:
    path.write_text("".join(json.dumps(article(n)) + "\n" for n in numbers), encoding="utf-8")
    return path


def outbox_errors(database_url: str) -> str:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as db:
            rows = db.execute(sa.text("SELECT error_code, error FROM search_outbox")).all()
    finally:
        engine.dispose()
    return "\n".join(f"{code}: {error}" for code, error in rows)


def test_three_importers_on_overlapping_and_disjoint_inputs(
    postgres_url: str,
    meili_server: MeiliServer,
    meili_client: SearchClient,
    meili_index_uid: str,
    tmp_path: Path,
) -> None:
    inputs = {
        "host-a": list(range(0, 60)),
        "host-b": list(range(30, 90)),  # half of it also in host-a's input
        "host-c": list(range(90, 120)) + list(range(0, 10)),  # disjoint, plus a few of a's
    }
    run_cli(cli_env(tmp_path, postgres_url), tmp_path, "migrate")
    processes = []
    for host, numbers in inputs.items():
        data_dir = tmp_path / host
        data_dir.mkdir()
        env = cli_env(data_dir, postgres_url, **meili_env(meili_server, meili_index_uid))
        path = write_jsonl(data_dir / "input.jsonl", numbers)
        command = newsarchive("import", str(path), "--index", "--fill-seconds", "0")
        processes.append(
            subprocess.Popen(
                command, env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
            )
        )
    outputs = [process.communicate(timeout=120)[0].decode() for process in processes]
    for process, output in zip(processes, outputs, strict=True):
        assert process.returncode == 0, output + outbox_errors(postgres_url)

    engine = sa.create_engine(postgres_url)
    try:
        with engine.connect() as db:
            urls = db.execute(sa.text("SELECT url FROM articles")).scalars().all()
            slugs = db.execute(sa.text("SELECT slug FROM entities")).scalars().all()
            aliases = db.execute(sa.text("SELECT normalised FROM entity_aliases")).scalars().all()
            links = db.execute(
                sa.text(
                    "SELECT a.url, e.slug FROM article_entities l "
                    "JOIN articles a ON a.id = l.article_id JOIN entities e ON e.id = l.entity_id"
                )
            ).all()
            pending = db.execute(sa.text("SELECT count(*) FROM search_outbox")).scalar_one()
    finally:
        engine.dispose()

    expected_urls = {f"https://harbour.example/parallel/{n}" for n in range(120)}
    assert sorted(urls) == sorted(expected_urls)  # none lost, none twice
    assert sorted(slugs) == sorted(EXPECTED_SLUGS)  # no "harbour-board-2" from a race
    assert len(aliases) == len(set(aliases))
    expected_links = {
        (f"https://harbour.example/parallel/{n}", slug)
        for n in range(120)
        for slug in (
            EXPECTED_SLUGS_BY_NAME[NAMED[n % len(NAMED)]["name"]],
            EXPECTED_SLUGS_BY_NAME[NAMED[(n + 1) % len(NAMED)]["name"]],
        )
    }
    assert len(links) == len(set(links))
    assert set(links) == expected_links
    assert pending == 0

    index = meili_client.index(meili_index_uid)
    assert index.get_stats().number_of_documents == 120
    found = index.search("", {"filter": "entity_slugs = 'harbour-board'", "limit": 0})
    assert found["estimatedTotalHits"] == 2 * 120 // len(NAMED)


EXPECTED_SLUGS_BY_NAME = {
    "Harbour Board": "harbour-board",
    "Ana Costa": "ana-costa",
    "Lisbon": "lisbon",
    "Port Workers Union": "port-workers-union",
    "Rui Mendes": "rui-mendes",
}
