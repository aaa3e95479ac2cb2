"""Property-based tests of the API against its own OpenAPI schema (schemathesis, in-process).

Every operation in /openapi.json gets generated requests, valid and invalid, sent through the
ASGI app on SQLite with a real Meilisearch and an admin key; then a stateful run chains them
along the schema's links (a created article read, changed and deleted by its id). Each
response must be a documented status code with a body matching its documented schema,
content type and headers (errors are `application/problem+json`); no response may be a 5xx;
a request the schema forbids must be refused (4xx) and one it allows must not be, but for
the few rules the schema can't state (tests/contract_rules.py), and a query is judged as sent.
bench/contract.py runs the same checks with far more examples against a real server on
SQLite and PostgreSQL.
"""

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.mutations import Mutation, MutationChannel, OperatorKind
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode
from schemathesis.generation.meta import (
    CaseMetadata,
    ComponentInfo,
    FuzzingPhaseData,
    GenerationInfo,
    PhaseInfo,
    TestPhase,
)
from schemathesis.python import asgi as schemathesis_asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.config import Settings
from app.main import create_app
from tests.conftest import auth_headers
from tests.contract_rules import (
    negative_data_rejection_as_sent,
    positive_data_acceptance_beyond_rules,
)

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection_as_sent,
    positive_data_acceptance_beyond_rules,
]
FUZZ_SETTINGS = settings(
    max_examples=10,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
STATEFUL_SETTINGS = settings(
    FUZZ_SETTINGS, max_examples=15, stateful_step_count=6, phases=FUZZ_SETTINGS.phases
)


@pytest.fixture
def fuzz_app(search_settings: Settings) -> Iterator[FastAPI]:
    fuzz_settings = search_settings.model_copy(
        update={
            # Rate limits count per minute; the fuzzer sends hundreds of requests in seconds
            # by design. 429 itself is covered by test_ratelimit.py.
            "RATE_LIMIT_READS_PER_MINUTE": 0,
            "RATE_LIMIT_WRITES_PER_MINUTE": 0,
            # spaCy would only slow the run down; client entities still go through every path.
            "ENTITY_EXTRACTION_ENABLED": False,
            # Writes reach the index through the in-process worker, as in production.
            "SYNC_WORKER_ENABLED": True,
            # Hybrid and semantic searches run the real model; articles get no vector (the
            # embedding worker would only slow the run), so /related answers 404 or 409.
            "EMBEDDINGS_ENABLED": True,
            "EMBED_WORKER_ENABLED": False,
        }
    )
    app = create_app(fuzz_settings)
    yield app
    # schemathesis keeps every ASGI app's lifespan running until interpreter exit; each test
    # has its own app and database, so end them here.
    schemathesis_asgi.shutdown_lifespans()


def load_schema() -> schemathesis.BaseSchema:
    """The schema as the app documents it; each test then calls its own app with it.

    (`schemathesis.pytest.from_fixture` would build the app per test for us, but it reads a
    private pytest attribute that pytest 9 no longer has.) Building an app touches no
    database and no Meilisearch until its lifespan starts, which this never does.
    """
    app = create_app(Settings(_env_file=None, DATABASE_URL="sqlite://", LOG_FORMAT="console"))
    loaded = schemathesis.openapi.from_dict(app.openapi())
    # No text may hold a NUL (a documented rule of every route, tested in
    # test_hardening_nul.py); generating them would only find that rule again and again.
    loaded.config.generation.update(allow_x00=False)
    # An app here makes schemathesis send requests in-process (ASGI) rather than over HTTP.
    loaded.app = app
    return loaded


schema = load_schema()
# NDJSON bulk bodies are documented as a string of lines; send the generated string as it is.
NDJSON = "application/x-ndjson"
schemathesis.serializer.alias(NDJSON, "text/plain")


@schema.parametrize()
@FUZZ_SETTINGS
def test_every_operation_conforms_to_its_schema(
    case: schemathesis.Case[Any], fuzz_app: FastAPI, admin_key: str
) -> None:
    checks = CHECKS
    if case.media_type == NDJSON and not isinstance(case.body, str):
        # Any text is an NDJSON body (each bad line is an `error` item), and schemathesis
        # sends a non-string one as its text, so no NDJSON body is invalid once sent.
        checks = [check for check in checks if check is not negative_data_rejection_as_sent]
    case.call_and_validate(headers=auth_headers(admin_key), checks=checks, app=fuzz_app)


def test_sequences_along_the_links_conform(fuzz_app: FastAPI, admin_key: str) -> None:
    headers = auth_headers(admin_key)

    class Sequences(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: schemathesis.Case[Any]) -> dict[str, Any]:
            return {"headers": headers, "app": fuzz_app}

        def validate_response(
            self, response: Any, case: schemathesis.Case[Any], *_: Any, **kwargs: Any
        ) -> None:
            case.validate_response(
                response, checks=CHECKS, headers=headers, transport_kwargs=kwargs
            )

    Sequences.run(settings=STATEFUL_SETTINGS)


def _type_change(name: str, pointer: str, original: Any, new: Any) -> Mutation:
    return Mutation(
        path=(),
        parameter_location=ParameterLocation.QUERY,
        schema_pointer=pointer,
        channel=MutationChannel.SCHEMA,
        operator=OperatorKind.CHANGE_TYPE,
        keywords=("type",),
        parameter=name,
        original_value=original,
        new_value=new,
    )


def test_a_query_negated_only_in_values_it_never_sent_is_judged_as_sent(
    fuzz_app: FastAPI, admin_key: str
) -> None:
    # As the fuzzer made it: `q` (text or null) turned into the array ["false"], `tag` (an
    # array) into the boolean false, which it keeps as the text it sends. Both go out as
    # `false`: `q=false&tag=false` is the request a client sends for q="false", tag=["false"].
    case = schema["/search/timeline"]["GET"].Case(
        query={"q": ["false"], "tag": "false"},
        _meta=CaseMetadata(
            generation=GenerationInfo(time=0.0, mode=GenerationMode.NEGATIVE),
            components={ParameterLocation.QUERY: ComponentInfo(mode=GenerationMode.NEGATIVE)},
            phase=PhaseInfo(
                name=TestPhase.FUZZING,
                data=FuzzingPhaseData(
                    description=None,
                    parameter=None,
                    parameter_location=ParameterLocation.QUERY,
                    location=None,
                    mutations=(
                        _type_change("q", "/properties/q/anyOf/1", "null", "array"),
                        _type_change("tag", "/properties/tag", "array", "boolean"),
                    ),
                ),
            ),
        ),
    )
    headers = auth_headers(admin_key)
    response = case.call(headers=headers, app=fuzz_app)
    assert str(response.request.url).endswith("/search/timeline?q=false&tag=false")
    assert response.status_code == 200
    with pytest.raises(FailureGroup, match="Schema-violating request accepted"):
        case.validate_response(response, checks=[negative_data_rejection], headers=headers)
    case.validate_response(response, checks=[negative_data_rejection_as_sent], headers=headers)
