"""The search page at `/` and its static files under `/static/`.

The page is plain HTML, CSS and ES modules calling the public API like any other client, so
serving it is reading files: they are read and hashed once per process, answered with a
strong ETag (304 when the browser has it), and `index.html` names each file with its hash
(`?v=`), so those URLs are cached for a year. Nothing here runs on the search path.
"""

import hashlib
import mimetypes
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.errors import NotFound

STATIC_DIR = Path(__file__).resolve().parent / "static"
#: Files named with their hash never change under that name.
IMMUTABLE = "public, max-age=31536000, immutable"
#: The page itself is checked every time (a 304 when unchanged), so new assets show at once.
REVALIDATE = "no-cache"
_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".html": "text/html",
    ".svg": "image/svg+xml",
}
#: `/static/...` references in index.html, which get their file's hash appended.
_ASSET_REF = re.compile(r'(?P<attr>(?:href|src|content)=")(?P<path>/static/[^"?]+)"')

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class StaticFile:
    body: bytes
    media_type: str
    etag: str


def _load(path: Path) -> StaticFile:
    body = path.read_bytes()
    media_type = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "text/plain"
    if media_type.startswith("text/"):
        media_type += "; charset=utf-8"
    return StaticFile(body, media_type, f'"{hashlib.sha256(body).hexdigest()[:32]}"')


@cache
def static_files() -> dict[str, StaticFile]:
    """Every file under static/ by its URL path; nothing outside it can be named."""
    return {
        "/static/" + path.relative_to(STATIC_DIR).as_posix(): _load(path)
        for path in sorted(STATIC_DIR.rglob("*"))
        if path.is_file() and path.name != "index.html"
    }


@cache
def index_page() -> StaticFile:
    """index.html with `?v=HASH` on each asset it names, so a changed file has a new URL."""
    files = static_files()

    def versioned(match: re.Match[str]) -> str:
        path = match["path"]
        found = files.get(path)
        suffix = f"?v={found.etag.strip(chr(34))[:12]}" if found else ""
        return f'{match["attr"]}{path}{suffix}"'

    text = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    body = _ASSET_REF.sub(versioned, text).encode()
    return StaticFile(
        body, "text/html; charset=utf-8", f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    )


def _answer(request: Request, found: StaticFile, cache_control: str) -> Response:
    headers = {"ETag": found.etag, "Cache-Control": cache_control}
    if found.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(found.body, media_type=found.media_type, headers=headers)


@router.get("/")
def page(request: Request) -> Response:
    return _answer(request, index_page(), REVALIDATE)


@router.get("/static/{path:path}")
def static(path: str, request: Request) -> Response:
    found = static_files().get(f"/static/{path}")
    if found is None:
        raise NotFound(f"No static file {path!r}.")
    versioned = request.query_params.get("v") == found.etag.strip('"')[:12]
    return _answer(request, found, IMMUTABLE if versioned else REVALIDATE)
