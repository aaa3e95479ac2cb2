"""BBC News (Greene & Cunningham 2006): `<section>/<NNN>.txt`, headline, blank line, body.

Files are UTF-8 except one (`sport/199.txt`, a latin-1 pound sign), so a file that is not
valid UTF-8 is read as latin-1, which cannot fail. The collection has no dates or URLs:
`published_at` and `url` stay None.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from app.ingestion.parsed import ParsedArticle, ParseError

SOURCE = "BBC News"


def iter_bbc(directory: Path) -> Iterator[ParsedArticle]:
    """Every usable article under `directory`'s section folders, sections and files in name order."""
    for path in sorted(directory.glob("*/*.txt")):
        try:
            yield parse_bbc_file(path)
        except ParseError:
            continue


def parse_bbc_file(path: Path) -> ParsedArticle:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return parse_bbc_text(text, section=path.parent.name, name=path.stem)


def parse_bbc_text(text: str, *, section: str, name: str) -> ParsedArticle:
    """`name` is the file name without `.txt`; with `section` it makes the external id."""
    head, _, rest = text.lstrip("\ufeff").replace("\r\n", "\n").partition("\n")
    title = " ".join(head.split())
    if not title:
        raise ParseError(f"{section}/{name}.txt has no headline on its first line")
    # Lines inside a paragraph are list items ("- A pressure control system..."): keep them.
    paragraphs = [
        "\n".join(" ".join(line.split()) for line in block.split("\n") if line.strip())
        for block in rest.split("\n\n")
    ]
    body = "\n\n".join(p for p in paragraphs if p)
    if not body:
        raise ParseError(f"{section}/{name}.txt has no body after its headline")
    return ParsedArticle(
        title=title,
        body=body,
        external_id=f"bbc:{section}/{name}",
        source=SOURCE,
        section=section,
        language="en",
    )
