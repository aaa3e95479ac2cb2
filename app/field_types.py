"""Field types whose JSON Schema says exactly what the server takes.

A client generated from /openapi.json can trust the document both ways: a value it allows is
taken, and a value it forbids is refused with 422.

- Text limits count the text as sent. Surrounding whitespace is stripped afterwards, so a
  title of 990 letters and 20 spaces is too long rather than silently shortened.
- Required text must hold a character that is not whitespace. The schema says so with a
  pattern that names the whitespace `str.strip()` removes, one by one, so every regex
  engine (Python's, ECMA 262, Rust's) reads it the same way.
- JSON booleans and integers are what JSON calls them: `0` is not false, `"2"` is not 2.
"""

from dataclasses import dataclass
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

#: Every character `str.isspace()` is true for, hence every one `str.strip()` removes.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
#: A character other than whitespace, written with \\uXXXX escapes only.
NOT_BLANK_PATTERN = "[^" + "".join(f"\\u{ord(char):04x}" for char in WHITESPACE) + "]"


def _blank_error() -> PydanticCustomError:
    return PydanticCustomError("blank_text", "must not be empty or only whitespace")


@dataclass(frozen=True)
class Text:
    """Text stripped of surrounding whitespace; `max_length` counts the text as sent.

    Blank text is refused, or read as null with `blank_is_null` (optional fields, where an
    empty string has always meant "none"): the schema then allows any string, null included.
    """

    max_length: int | None = None
    blank_is_null: bool = False

    def __get_pydantic_core_schema__(
        self, _source: Any, _handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        raw = core_schema.str_schema(max_length=self.max_length)
        if self.blank_is_null:
            return core_schema.nullable_schema(
                core_schema.no_info_after_validator_function(_strip_or_null, raw)
            )
        return core_schema.no_info_after_validator_function(_strip_not_blank, raw)

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        text: dict[str, Any] = {"type": "string"}
        if self.max_length is not None:
            text["maxLength"] = self.max_length
        if self.blank_is_null:
            return {"anyOf": [text, {"type": "null"}]}
        return {**text, "minLength": 1, "pattern": NOT_BLANK_PATTERN}


def _strip_not_blank(value: str) -> str:
    stripped = value.strip()
    if not stripped:
        raise _blank_error()
    return stripped


def _strip_or_null(value: str | None) -> str | None:
    return (value.strip() or None) if value is not None else None


@dataclass(frozen=True)
class JsonStrict:
    """A JSON boolean or integer as JSON types it: `true`, not `1` or `"yes"`; `2` or `2.0`,
    not `"2"` or `true`. (Query strings, where every value is text, use plain bool and int.)"""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_before_validator_function(
            _json_bool if source is bool else _json_int, handler(source)
        )


def _json_bool(value: Any) -> Any:
    if not isinstance(value, bool):
        raise PydanticCustomError("bool_type", "must be true or false")
    return value


def _json_int(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("int_type", "must be a JSON integer")
    return value
