"""What importing the command line costs: every `newsarchive` process pays it."""

import json
import subprocess
import sys
from pathlib import Path

#: What no command needs just to be offered: the API server, migrations, the database, the
#: search engine, the NLP model, settings and progress bars load when a command runs.
HEAVY = (
    "fastapi",
    "uvicorn",
    "alembic",
    "sqlalchemy",
    "sqlmodel",
    "spacy",
    "meilisearch",
    "pydantic_settings",
    "rich.progress",
    "app.ingestion.importer",
    "app.search.backend",
)

LOADED = f"sorted(set({HEAVY!r}) & set(__import__('sys').modules))"


def loaded_by(*args: str, cwd: Path) -> list[str]:
    """Run a fresh interpreter whose last output line is a JSON list of loaded modules."""
    done = subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, check=True
    )
    loaded: list[str] = json.loads(done.stdout.splitlines()[-1])
    return loaded


def test_importing_the_cli_leaves_heavy_modules_unloaded(tmp_path: Path) -> None:
    code = f"import json, app.cli; print(json.dumps({LOADED}))"
    assert loaded_by("-c", code, cwd=tmp_path) == []


def test_a_spawned_worker_reimports_only_the_light_cli(tmp_path: Path) -> None:
    # The console script's shape: a spawn child re-imports it as __mp_main__ before any task.
    # An extraction worker then imports what its task needs: the importer and spaCy.
    script = tmp_path / "newsarchive.py"
    script.write_text(
        "import json, multiprocessing\n"
        "from concurrent.futures import ProcessPoolExecutor\n"
        "from app.cli import app\n"
        "if __name__ == '__main__':\n"
        "    context = multiprocessing.get_context('spawn')\n"
        "    with ProcessPoolExecutor(1, mp_context=context) as pool:\n"
        f"        loaded = pool.submit(eval, {LOADED!r}).result()\n"
        "        has_cli = pool.submit(eval, \"'app.cli' in __import__('sys').modules\").result()\n"
        "    assert has_cli\n"
        "    print(json.dumps(loaded))\n"
    )
    assert loaded_by(str(script), cwd=tmp_path) == []


def test_an_extraction_worker_task_needs_no_database_or_web_layer(tmp_path: Path) -> None:
    # The functions an extraction worker runs live in app.ingestion.extraction; a spawned
    # worker imports that module, so it must not pull in the storing or serving code.
    heavy = tuple(name for name in HEAVY if name != "spacy")
    loaded = f"sorted(set({heavy!r}) & set(__import__('sys').modules))"
    code = f"import json, app.ingestion.extraction; print(json.dumps({loaded}))"
    assert loaded_by("-c", code, cwd=tmp_path) == []
