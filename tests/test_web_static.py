"""The page's files: cached by hash and ETag, nothing outside static/ reachable, the shipped
chart library the pinned npm one."""

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from app.web import router as web

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    """The app without its lifespan: serving the page needs no database or Meilisearch."""
    data = tmp_path_factory.mktemp("web-static")
    settings = Settings(
        _env_file=None,
        DATA_DIR=data,
        DATABASE_URL=f"sqlite:///{data}/archive.db",
        ENTITY_EXTRACTION_ENABLED=False,
    )
    return TestClient(create_app(settings))


def test_the_page_names_its_files_by_hash_and_is_revalidated(
    pages: TestClient,
) -> None:
    response = pages.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    refs = re.findall(r'"(/static/[^"?]+)\?v=([0-9a-f]{12})"', response.text)
    assert sorted(path for path, _ in refs) == [
        "/static/js/app.js",
        "/static/page.css",
        "/static/vendor/uPlot.min.css",
    ]
    for path, version in refs:
        asset = pages.get(f"{path}?v={version}")
        assert asset.status_code == 200, path
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert asset.headers["etag"] == f'"{version}{asset.headers["etag"][13:]}'
    again = pages.get("/", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


def test_a_file_without_its_hash_is_revalidated_by_etag(pages: TestClient) -> None:
    first = pages.get("/static/js/search.js")
    assert first.status_code == 200
    assert first.headers["content-type"] == "text/javascript; charset=utf-8"
    assert first.headers["cache-control"] == "no-cache"
    stale = pages.get("/static/js/search.js?v=000000000000")
    assert stale.headers["cache-control"] == "no-cache"
    cached = pages.get("/static/js/search.js", headers={"If-None-Match": first.headers["etag"]})
    assert cached.status_code == 304
    assert cached.headers["etag"] == first.headers["etag"]


@pytest.mark.parametrize(
    "path", ["/static/nothing.js", "/static/../router.py", "/static/%2e%2e/router.py"]
)
def test_only_the_static_files_are_served(pages: TestClient, path: str) -> None:
    response = pages.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_the_page_is_not_part_of_the_api_document(pages: TestClient) -> None:
    paths = pages.get("/openapi.json").json()["paths"]
    assert "/" not in paths
    assert not [path for path in paths if path.startswith("/static")]


def test_the_shipped_chart_library_is_the_pinned_npm_package() -> None:
    """uPlot is pinned in package.json (integrity in package-lock.json) and copied into the
    package, so the page works wherever the app is installed, with no npm at run time."""
    version = json.loads((ROOT / "package.json").read_text())["devDependencies"]["uplot"]
    dist = ROOT / "node_modules" / "uplot" / "dist"
    assert dist.exists(), "node_modules/uplot is missing: `make install` runs npm ci"
    for name in ("uPlot.esm.js", "uPlot.min.css"):
        shipped = web.STATIC_DIR / "vendor" / name
        assert shipped.read_bytes() == (dist / name).read_bytes(), f"copy {dist / name} again"
    header = (web.STATIC_DIR / "vendor" / "uPlot.esm.js").read_text()[:400]
    assert f"(v{version})" in header
