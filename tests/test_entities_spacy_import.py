"""spaCy's model loads without spaCy's command line, which the archive never calls."""

import json
import subprocess
import sys
from pathlib import Path

#: What ``spacy.cli`` brings in and nothing on the model's path needs.
CLI_ONLY = ("spacy.cli", "typer", "weasel", "requests", "jinja2", "rich", "pygments")

LOAD_AND_REPORT = """
import json, sys
from app.entities.extract import SpacyExtractor
extractor = SpacyExtractor()
mentions = next(extractor.mentions(["Tim Cook of Apple met officials in London."]))
print(json.dumps({
    "loaded": sorted(name for name in %r if name in sys.modules),
    "mentions": [[m.text, m.label] for m in mentions],
}))
"""


def _run(code: str, cwd: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=True
    )
    report: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return report


def test_the_model_loads_without_spacys_command_line(tmp_path: Path) -> None:
    report = _run(LOAD_AND_REPORT % (CLI_ONLY,), tmp_path)
    assert report["loaded"] == []
    assert report["mentions"] == [["Tim Cook", "PERSON"], ["Apple", "ORG"], ["London", "GPE"]]


def test_spacys_command_line_still_imports_for_real_afterwards(tmp_path: Path) -> None:
    code = (
        "import json\n"
        "from app.entities.spacy_import import import_spacy\n"
        "spacy = import_spacy()\n"
        "import spacy.cli\n"
        "details = spacy.info()\n"
        "print(json.dumps({'download': callable(spacy.cli.download),\n"
        "                  'version': details['spacy_version']}))\n"
    )
    report = _run(code, tmp_path)
    assert report["download"] is True
    assert report["version"] == __import__("spacy").__version__
