"""Entity finding for bulk imports, and what an extraction worker process runs.

Kept apart from the importer and the storing code on purpose: a worker started with the
"spawn" method imports the module of the function it runs, so everything imported here is
paid again by every worker. This module needs the model and the gazetteer, not the database
layer or the web framework.
"""

from __future__ import annotations

import signal
from collections.abc import Sequence
from typing import Any

from app.entities import gazetteer
from app.entities.canonical import canonicalise
from app.entities.extract import EntityExtractor, default_extractor, extract_entities_batch
from app.entities.types import ArticleEntity, ArticleText

#: What entity finding needs of an article: its text and its language.
EntityInput = tuple[ArticleText, str]

#: Texts the model reads at once. Larger batches are hardly faster with the small English
#: pipeline but raise a process's peak memory (about 520 MB at 64 against 330 MB at 16);
#: 8 took 4% more CPU time for no lower peak over all of Reuters-21578.
MODEL_BATCH_SIZE = 16


def find_entities(
    inputs: Sequence[EntityInput],
    *,
    extract: bool = True,
    batch_size: int = 64,
    n_process: int = 1,
    extractor: EntityExtractor | None = None,
) -> list[list[ArticleEntity]]:
    """Entities of many articles with one pass of the model, as `upsert` would find them one
    by one: the model reads English text only; client entities are always kept."""
    english = [i for i, (_text, language) in enumerate(inputs) if extract and language == "en"]
    analysed = (
        list(
            extract_entities_batch(
                [inputs[i][0] for i in english],
                extractor=extractor,
                n_process=n_process,
                batch_size=batch_size,
            )
        )
        if english
        else []
    )
    found = dict(zip(english, analysed, strict=True))
    return [
        found[i] if i in found else canonicalise(text.full_text, [], text.client_entities)
        for i, (text, _language) in enumerate(inputs)
    ]


def worker_start(tables: Any) -> None:
    """Initialiser of an extraction worker process."""
    # Ctrl-C is the parent's to handle: it finishes or rolls back its article, then stops us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gazetteer.use_tables(tables)
    extractor = default_extractor()
    extractor.nlp  # noqa: B018 - load the model once, before the first chunk
    # One thread calls the model here: the words of each chunk can be forgotten after it.
    extractor.memory_zones = True


def find_in_worker(
    inputs: list[EntityInput], extract: bool, batch_size: int
) -> list[list[ArticleEntity]]:
    return find_entities(inputs, extract=extract, batch_size=batch_size)
