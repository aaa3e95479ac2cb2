"""Write the API's OpenAPI document to `openapi.json`, the file clients are generated from.

`python -m app.openapi_export` rewrites it; `--check` only says whether it is current (exit
status 1 when the app's schema has drifted from the file). `make openapi` runs this and then
regenerates the TypeScript client from the new file.
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from app.config import Settings
from app.main import create_app

#: The checked-in document, at the top of the repository.
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "openapi.json"


def document() -> dict[str, Any]:
    """The schema of an app built with the default settings (no database is opened)."""
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(
            _env_file=None,
            DATA_DIR=Path(data_dir),
            DATABASE_URL=f"sqlite:///{data_dir}/schema.db",
            LOG_FORMAT="console",
        )
        app = create_app(settings)
        schema: dict[str, Any] = app.openapi()
        app.state.engine.dispose()
    return schema


def render(schema: dict[str, Any]) -> str:
    """Stable text: two-space indents, keys in the app's order, a final newline."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 on drift")
    args = parser.parse_args(argv)
    text = render(document())
    path: Path = args.output
    if args.check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            print(f"{path} is out of date: run `make openapi`", file=sys.stderr)
            return 1
        print(f"{path} is current")
        return 0
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path} ({len(text)} characters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
