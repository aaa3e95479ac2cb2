"""What of an article is embedded: its title and opening paragraphs.

The model reads at most 256 tokens (about 1,000 characters of English), so only the start
of the body is kept; the hash of this text tells whether a stored vector is still current.
"""

import hashlib
from typing import Final

#: Characters kept: comfortably more than the model's 256 tokens, far less than a long body.
MAX_CHARS: Final = 2_000


def article_text(title: str, summary: str | None, body: str) -> str:
    parts = [title.strip()]
    if summary and summary.strip():
        parts.append(summary.strip())
    parts.append(body.strip())
    return "\n".join(part for part in parts if part)[:MAX_CHARS]


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
