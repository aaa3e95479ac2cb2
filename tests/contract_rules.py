"""What the contract run may and may not excuse: the refusals the OpenAPI schema can't state.

JSON Schema describes one value at a time, so a few rules of the API are in its description
(app/main.py) rather than in its schemas: an opaque cursor is valid only as the API issued
it (an export's `after` too); `page` × `per_page` stays within the hits a search can reach;
and does not combine with `collapse`; a time zone must be one the server's zone database
knows; a list holds at most 100 values, counting comma-separated ones; a range must not end
before it starts; a merge or a distinction names two different entities; an imported page
needs a headline and a body; labelled queries have distinct labels; a timeline makes at most
1,000 buckets; a webhook URL leads to a public address and carries no credentials; an edit
leaves a saved search a way to deliver, and rotates a feed token only where there is a feed;
a published_at_source needs a published_at. A
schema-valid request that breaks one of them is answered 422, which schemathesis's
`positive_data_acceptance` counts as a mismatch. `positive_data_acceptance_beyond_rules` is
that check with exactly these refusals excused, each recognised by where it points and what
it says; any other 422 to a schema-valid request still fails. The NUL rule is kept out of
generation instead (`allow_x00=False`), since it applies to every text.

The other way round, schemathesis judges a query it made invalid by the value it generated,
while the server (and the schema, which describes text on the wire) only ever sees text: an
array parameter generated as the boolean `false` goes out as `tag=false`, exactly the request
a client sends for `tag: ["false"]`. `negative_data_rejection_as_sent` is schemathesis's
`negative_data_rejection` that reads such a query back as sent and fails the answer unless
every declared parameter in it, read as the server reads it, is valid by the schema.

Loaded by tests/test_schema_fuzz.py, and by bench/contract.py through SCHEMATHESIS_HOOKS.
"""

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import schemathesis
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.core.parameters import ParameterLocation
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance
from schemathesis.specs.openapi.utils import (
    coerce_wire_string,
    parameter_types,
    sent_text_is_valid,
)

#: (the field a refusal names, what its message says) of every rule the schema can't state.
RULES_BEYOND_THE_SCHEMA: list[tuple[str, re.Pattern[str]]] = [
    ("cursor", re.compile(r".")),
    ("page", re.compile(r"^page and cursor can't be combined$")),
    ("page", re.compile(r"^pages reach \d+ hits deep")),
    ("collapse", re.compile(r"^collapse can't be combined with cursor")),
    ("after", re.compile(r"^not a position from this API")),
    ("tz", re.compile(r"unknown time zone|not an IANA time zone name")),
    # Comma-separated values count one by one towards a list's 100.
    *(
        (name, re.compile(r"^Value error, at most \d+ values in all"))
        for name in ("entity", "any_entity", "fields")
    ),
    ("published_from", re.compile(r"^must not be after published_to$")),
    ("from", re.compile(r"^must not be after `to`$")),
    ("q", re.compile(r"^mode=(hybrid|semantic) needs a query$")),
    ("sort", re.compile(r"^mode=(hybrid|semantic) ranks by relevance only; omit sort$")),
    ("semantic_ratio", re.compile(r"^applies to mode=hybrid only$")),
    ("merge", re.compile(r"^an entity cannot be merged into itself$")),
    ("second", re.compile(r"^an entity is not distinct from itself$")),
    # Labelled queries are told apart by their labels.
    ("series", re.compile(r"labels must be unique")),
    ("queries", re.compile(r"labels must be unique")),
    # A timeline's range over its interval makes at most so many buckets.
    ("interval", re.compile(r"^\S+ to \S+ makes more than \d+ \w+ buckets")),
    # Where a webhook may deliver: public addresses, no credentials, not this API itself.
    ("url", re.compile(r".")),
    # A PATCH is refused when it would leave the stored search no way to deliver, or rotates
    # the token of a feed the stored search does not have.
    ("body", re.compile(r"^give a way to deliver matches")),
    ("rotate_feed_token", re.compile(r"^this saved search has no feed$")),
    (
        "published_at_source",
        re.compile(
            r"^(Value error, )?(is given without a published_at|the article has no published_at "
            r"to name|cannot be null while the article has a published_at)$"
        ),
    ),
    (
        "body",
        re.compile(
            r"^(the text has a headline but no body( paragraphs)?|the text is empty"
            r"|the HTML is empty|no main text found in the HTML|the page has no title)$"
        ),
    ),
]


#: Answers that depend on the archive's state, not on the request: related articles of an
#: article whose vector the embedding worker has not made yet.
STATE_CONFLICTS = frozenset({"no-vector-yet"})


def beyond_the_schema(response: Any) -> bool:
    """Whether a 422 refuses only for rules the schema can't state (or a 409 answers only
    the archive's state)."""
    if response.status_code == 409:
        try:
            problem_type = str(json.loads(response.content)["type"])
        except (ValueError, KeyError, TypeError):
            return False
        return problem_type.rsplit("/", 1)[-1] in STATE_CONFLICTS
    if response.status_code != 422:
        return False
    try:
        errors = json.loads(response.content)["errors"]
    except (ValueError, KeyError, TypeError):
        return False
    return bool(errors) and all(
        any(
            error["loc"] and error["loc"][-1] == field and pattern.search(error["msg"])
            for field, pattern in RULES_BEYOND_THE_SCHEMA
        )
        for error in errors
    )


@schemathesis.check
def positive_data_acceptance_beyond_rules(ctx: Any, response: Any, case: Any) -> bool | None:
    """`positive_data_acceptance`, excusing the refusals in RULES_BEYOND_THE_SCHEMA."""
    try:
        result: bool | None = positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if beyond_the_schema(response):
            return None
        raise
    return result


#: Where a negative case may be negated for its query alone to be judged as sent.
OTHER_LOCATIONS = (
    ParameterLocation.PATH,
    ParameterLocation.HEADER,
    ParameterLocation.COOKIE,
    ParameterLocation.BODY,
)


def _text_value(text: str, schema: Any) -> Any:
    """One query text as a server reads it for `schema`: a number or boolean where it spells one."""
    coerced = coerce_wire_string(text, parameter_types(schema))
    return text if coerced is None else coerced


def query_as_sent_is_valid(case: Any, sent: dict[str, list[str]]) -> bool:
    """Whether the query texts `sent` (parsed from the URL) make a request the schema allows.

    An array parameter is its texts in order, each read for the items' type; any other
    parameter must be valid in every text sent for it (a repeated key, whichever one the
    server reads). A required parameter must be there; undeclared ones are not judged.
    """
    for parameter in case.operation.query.items:
        texts = sent.get(parameter.name)
        if texts is None:
            if parameter.is_required:
                return False
            continue
        schema = parameter.validation_schema
        is_valid = parameter.get_validator().is_valid
        if isinstance(schema, dict) and schema.get("type") == "array":
            items = schema.get("items", {})
            if not is_valid([_text_value(text, items) for text in texts]):
                return False
        elif not all(sent_text_is_valid(t, is_valid, parameter_types(schema)) for t in texts):
            return False
    return True


@schemathesis.check
def negative_data_rejection_as_sent(ctx: Any, response: Any, case: Any) -> bool | None:
    """`negative_data_rejection`, excusing a query negated only in values it never sent."""
    try:
        result: bool | None = negative_data_rejection(ctx, response, case)
    except AcceptedNegativeData:
        if case.meta is None or any(case.meta.is_negative_at(at) for at in OTHER_LOCATIONS):
            raise
        sent = parse_qs(urlsplit(response.request.url).query, keep_blank_values=True)
        if query_as_sent_is_valid(case, sent):
            return None
        raise
    return result
