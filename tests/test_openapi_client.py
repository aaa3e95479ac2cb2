"""The checked-in OpenAPI document is the app's, every operation documents its answers, and
the TypeScript client generated from the document is current and compiles."""

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from app import openapi_export

ROOT = Path(__file__).resolve().parent.parent
CLIENT = ROOT / "clients" / "typescript"
NODE_BIN = ROOT / "node_modules" / ".bin"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
#: Not ready is answered with the readiness report itself, naming what is down.
NOT_A_PROBLEM = {("/ready", "get", "503")}
REGENERATE = "the app's schema differs from openapi.json: run `make openapi` and commit the result"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi_export.document()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]


def node_tool(name: str) -> Path:
    tool = NODE_BIN / name
    assert tool.exists(), f"{tool} is missing: `make install` runs npm ci, which installs it"
    return tool


def test_the_checked_in_document_is_the_apps(document: dict[str, Any]) -> None:
    checked_in = (ROOT / "openapi.json").read_text(encoding="utf-8")
    assert checked_in == openapi_export.render(document), REGENERATE


def test_check_mode_reports_drift(
    tmp_path: Path, document: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(openapi_export, "document", lambda: document)  # built once per module
    stale = tmp_path / "openapi.json"
    stale.write_text(openapi_export.render({**document, "info": {"title": "old"}}))
    assert openapi_export.main(["--output", str(stale), "--check"]) == 1
    assert openapi_export.main(["--output", str(stale)]) == 0
    assert json.loads(stale.read_text()) == document
    assert openapi_export.main(["--output", str(stale), "--check"]) == 0


def test_every_operation_has_a_response_model_with_examples(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    checked = 0
    for path, method, operation in operations(document):
        successes = {s: r for s, r in operation["responses"].items() if s[0] == "2"}
        assert successes, (path, method)
        if "204" in successes:
            assert list(successes) == ["204"], (path, method)
            assert "content" not in successes["204"], (path, method)
            continue
        contents = [
            (media_type, content)
            for success in successes.values()
            for media_type, content in success["content"].items()
        ]
        for media_type, content in contents:
            if media_type != "application/json":  # streams and feeds: text with an example
                assert content["schema"] == {"type": "string"}, (path, method, media_type)
                assert content.get("example"), (path, method, media_type)
                continue
            schema = content["schema"]
            ref = schema.get("$ref") or schema["items"]["$ref"]
            assert schemas[ref.rsplit("/", 1)[1]].get("examples"), (path, method, ref)
            checked += 1
    assert checked >= 30


def test_every_error_answer_is_a_documented_problem(document: dict[str, Any]) -> None:
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for path, method, operation in operations(document):
        takes_input = bool(operation.get("parameters") or operation.get("requestBody"))
        errors = {s: r for s, r in operation["responses"].items() if s[0] in "45"}
        assert ("422" in errors) == takes_input, (path, method, sorted(errors))
        for status, response in errors.items():
            if (path, method, status) in NOT_A_PROBLEM:
                continue
            schema = response["content"]["application/problem+json"]["schema"]
            assert schema == PROBLEM_REF, (path, method, status)


def test_the_typescript_types_are_generated_from_the_checked_in_document(
    tmp_path: Path,
) -> None:
    generated = tmp_path / "schema.ts"
    subprocess.run(
        [node_tool("openapi-typescript"), ROOT / "openapi.json", "-o", generated],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    checked_in = (CLIENT / "src" / "schema.ts").read_text(encoding="utf-8")
    assert checked_in == generated.read_text(encoding="utf-8"), REGENERATE


def test_the_typescript_client_compiles() -> None:
    """tsc over the client and its examples, which call /search and /entities/{slug}."""
    result = subprocess.run(
        [node_tool("tsc"), "-p", CLIENT / "tsconfig.json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
