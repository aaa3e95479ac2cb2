"""Rules every request's input follows, whatever route answers it.

- No NUL character (U+0000) in a path or query parameter or a JSON body. PostgreSQL can
  neither store nor compare text holding one (the driver raises, so a lookup fails instead
  of finding nothing), while SQLite stores it: refusing it everywhere gives both databases
  one rule and one answer, a 422 naming the parameter.
- At most MAX_VALUES_PER_PARAMETER values per repeated query parameter. Each value becomes
  a condition of a query, and SQLite refuses a query of about a thousand ("expression tree
  is too large"), which is the client's request, not a busy database.
"""

import json
from collections import Counter
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin
from urllib.parse import parse_qsl

from pydantic import BaseModel
from starlette.requests import Request

from app.errors import InvalidParameter

MAX_VALUES_PER_PARAMETER = 100
NUL_MESSAGE = "must not contain a NUL character (U+0000)"


def nul_location(value: Any) -> list[str | int] | None:
    """Where the first NUL character in a decoded JSON value is (keys and indexes; [] for
    the value itself), or None. Iterative, so any nesting JSON could parse is walked."""
    pending: list[tuple[list[str | int], Any]] = [([], value)]
    while pending:
        loc, item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return loc
        elif isinstance(item, dict):
            for key, child in reversed(item.items()):
                if "\x00" in key:
                    return [*loc, key]
                pending.append(([*loc, key], child))
        elif isinstance(item, list):
            pending.extend(
                ([*loc, index], child) for index, child in reversed(list(enumerate(item)))
            )
    return None


def refuse_nul_in_json(raw: bytes) -> None:
    """A 422 naming the field when a JSON body holds a NUL character.

    JSON can only write one as the escape \\u0000, so a body without that text (nearly
    all) is not parsed again. Bodies that do not parse are left to the route to word.
    """
    try:
        text = raw.decode(json.detect_encoding(raw))
    except UnicodeDecodeError:
        return
    if "\\u0000" not in text:
        return
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return
    loc = nul_location(value)
    if loc is not None:
        raise InvalidParameter(["body", *loc], NUL_MESSAGE)


async def refuse_nul_in_path(request: Request) -> None:
    """An app-wide dependency: path parameters are only known once a route has matched."""
    for name, value in request.path_params.items():
        if isinstance(value, str) and "\x00" in value:
            raise InvalidParameter(["path", name], NUL_MESSAGE)


def query_error(query_string: bytes) -> InvalidParameter | None:
    """The rules above for a raw query string (applied by the request gateway, before any
    route or the search fast path reads it)."""
    # Both checks need the string decoded; most requests can be waved through without it.
    has_nul = b"%00" in query_string or b"\x00" in query_string
    if not has_nul and query_string.count(b"&") < MAX_VALUES_PER_PARAMETER:
        return None
    # Decoded as Starlette decodes it for the routes.
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    for name, value in pairs:
        if "\x00" in name or "\x00" in value:
            return InvalidParameter(["query", name], NUL_MESSAGE)
    for name, count in Counter(name for name, _ in pairs).items():
        if count > MAX_VALUES_PER_PARAMETER:
            return InvalidParameter(
                ["query", name],
                f"takes at most {MAX_VALUES_PER_PARAMETER} values; {count} were given",
            )
    return None


def _repeats(annotation: Any) -> bool:
    """Whether a parameter declared as `annotation` takes several values (a list)."""
    if get_origin(annotation) is Annotated:
        return _repeats(get_args(annotation)[0])
    if get_origin(annotation) in (Union, UnionType):
        return any(_repeats(arg) for arg in get_args(annotation) if arg is not type(None))
    return get_origin(annotation) in (list, set, tuple, frozenset) or annotation in (list, set)


def single_value_query_parameters(route: Any) -> frozenset[str]:
    """The query parameters of a route that take one value each, as the client names them
    (a query model's fields included). Worked out once per route."""
    if route is None:
        return frozenset()
    known: frozenset[str] | None = getattr(route, "_single_value_query_parameters", None)
    if known is not None:
        return known
    names: set[str] = set()
    dependant = getattr(route, "dependant", None)
    for field in getattr(dependant, "query_params", ()):
        annotation = field.field_info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names.update(
                info.alias or name
                for name, info in annotation.model_fields.items()
                if not _repeats(info.annotation)
            )
        elif not _repeats(annotation):
            names.add(field.alias)
    known = frozenset(names)
    route._single_value_query_parameters = known
    return known


async def refuse_repeated_single_values(request: Request) -> None:
    """An app-wide dependency: a parameter that takes one value, given twice (`q=a&q=b`), is
    a 422 naming it, not the last value silently taken."""
    query = request.scope.get("query_string", b"")
    if b"&" not in query:
        return
    single = single_value_query_parameters(request.scope.get("route"))
    counts = Counter(name for name, _ in parse_qsl(query.decode("latin-1"), True))
    for name, count in counts.items():
        if count > 1 and name in single:
            raise InvalidParameter(["query", name], f"takes one value; it was given {count} times")
