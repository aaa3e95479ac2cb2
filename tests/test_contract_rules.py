"""The contract run's own rules (tests/contract_rules.py), against the app's real schema."""

import pytest

from tests.contract_rules import query_as_sent_is_valid
from tests.test_schema_fuzz import schema


@pytest.mark.parametrize(
    ("sent", "valid"),
    [
        ({}, True),
        ({"q": ["false"], "tag": ["false"]}, True),
        ({"tag": ["a", "b,c"], "include_duplicates": ["true"], "interval": ["week"]}, True),
        ({"include_duplicates": ["maybe"]}, False),
        ({"interval": ["fortnight"]}, False),
        ({"q": ["true", "true"]}, True),
        ({"q": ["x" * 1001]}, False),
        ({"q": ["ok", "x" * 1001]}, False),
        ({"tag": [""]}, False),
        ({"tag": ["x"] * 101}, False),
        ({"undeclared": [""]}, True),
    ],
)
def test_a_query_as_sent_is_valid_by_the_schema_or_not(
    sent: dict[str, list[str]], valid: bool
) -> None:
    case = schema["/search/timeline"]["GET"].Case()
    assert query_as_sent_is_valid(case, sent) is valid
