"""Errors the server shapes outside the routes are problem+json too: refused CORS preflights,
and the requests `newsarchive serve`'s HTTP parser refuses before the app sees them."""

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httptools
import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from app.server_protocol import SERVER_METHODS, refusal
from tests.meili_plugin import MeiliServer
from tests.test_faults import Server, cli_env, meili_env, serve

ALLOWED = "https://reader.example"
OTHER = "https://elsewhere.example"


@pytest.fixture
def cors_client(settings: Settings) -> Iterator[TestClient]:
    configured = settings.model_copy(update={"CORS_ALLOW_ORIGINS": [ALLOWED]})
    with TestClient(create_app(configured)) as client:
        yield client


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("headers", "refused"),
    [
        ({"Origin": OTHER, "Access-Control-Request-Method": "POST"}, "origin"),
        ({"Origin": ALLOWED, "Access-Control-Request-Method": "PROPFIND"}, "method"),
        (
            {
                "Origin": ALLOWED,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "x-secret",
            },
            "headers",
        ),
    ],
)
def test_a_refused_cors_preflight_is_problem_json(
    cors_client: TestClient, headers: dict[str, str], refused: str
) -> None:
    response = cors_client.options("/articles", headers=headers)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 400
    assert problem["type"].endswith("/cors-preflight-refused")
    assert problem["detail"] == f"CORS preflight refused: its {refused} is not allowed here."
    assert "Origin" in response.headers["vary"]
    if refused == "origin":
        assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_allowed_cors_preflight_is_unchanged(cors_client: TestClient) -> None:
    response = cors_client.options(
        "/articles", headers={"Origin": ALLOWED, "Access-Control-Request-Method": "POST"}
    )
    assert response.status_code == 200
    assert response.text == "OK"
    assert response.headers["access-control-allow-origin"] == ALLOWED


# --- the HTTP parser's own refusals --------------------------------------------------------


def parser_error(request: bytes) -> BaseException:
    class Callbacks:
        url = b""

        def on_url(self, url: bytes) -> None:
            self.url += url

        def on_headers_complete(self) -> None:
            httptools.parse_url(self.url)  # as uvicorn does

    try:
        httptools.HttpRequestParser(Callbacks()).feed_data(request)
    except httptools.HttpParserError as error:
        return error
    raise AssertionError("the parser took the request")


def test_refusals_by_parser_error() -> None:
    method = parser_error(b"FOO / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert refusal(method) == (
        405,
        "The request method is not one this server knows.",
        {"Allow": SERVER_METHODS},
    )
    long_url = parser_error(b"GET /?" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert refusal(long_url)[0] == 414
    bad_length = parser_error(b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: x\r\n\r\n")
    assert refusal(bad_length)[0] == 400


def raw_exchange(server: Server, request: bytes) -> tuple[str, dict[str, str], Any]:
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status_line, headers, json.loads(body) if body else None


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_serve_answers_unreadable_requests_with_problem_json(
    database_url: str, meili_server: MeiliServer, meili_index_uid: str, tmp_path: Path
) -> None:
    env = cli_env(tmp_path, database_url, **meili_env(meili_server, meili_index_uid))
    cases = [
        (b"FOO /articles HTTP/1.1\r\nHost: x\r\n\r\n", "405 Method Not Allowed"),
        (
            b"GET /articles?" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
            "414 Request-URI Too Long",
        ),
        (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: x\r\n\r\n", "400 Bad Request"),
        (b"GET / HTTP/1.1\r\nHo st: x\r\n\r\n", "400 Bad Request"),
    ]
    with serve(env, tmp_path) as server:
        for request, expected in cases:
            status_line, headers, problem = raw_exchange(server, request)
            assert status_line == f"HTTP/1.1 {expected}"
            assert headers["content-type"] == "application/problem+json"
            assert headers["connection"] == "close"
            assert problem["status"] == int(expected[:3])
            assert set(problem) == {"type", "title", "status", "detail"}
            if expected.startswith("405"):
                assert headers["allow"] == SERVER_METHODS
        # Readable requests are the app's, as before.
        status_line, headers, body = raw_exchange(
            server, b"GET /articles HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        assert status_line == "HTTP/1.1 200 OK"
        assert body["data"] == []


def read_answer(connection: socket.socket) -> tuple[list[bytes], bytes]:
    """Every recv() of one Content-Length answer, and the whole answer."""
    reads: list[bytes] = []
    received = b""
    while True:
        reads.append(connection.recv(1 << 20))
        received += reads[-1]
        head, sep, body = received.partition(b"\r\n\r\n")
        if sep:
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            if len(body) >= length:
                return reads, received


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_serve_writes_each_answer_head_with_its_body(
    database_url: str, meili_server: MeiliServer, meili_index_uid: str, tmp_path: Path
) -> None:
    env = cli_env(tmp_path, database_url, **meili_env(meili_server, meili_index_uid))
    with serve(env, tmp_path) as server:
        host, port = server.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as connection:
            for _ in range(5):  # kept alive: one answer after another on one connection
                connection.sendall(b"GET /articles HTTP/1.1\r\nHost: x\r\n\r\n")
                reads, answer = read_answer(connection)
                # Head and body left in one write, so the first read has them both.
                assert len(reads) == 1
                assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
                assert json.loads(answer.partition(b"\r\n\r\n")[2])["data"] == []
            # A HEAD answer has no body to carry its head: it still goes out.
            connection.sendall(b"HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n")
            head = connection.recv(65536)
            assert head.startswith(b"HTTP/1.1 ")
            assert head.endswith(b"\r\n\r\n")
            # An interim 100 Continue is not held back behind the answer it precedes.
            body = b'{"q": "anything"}'
            connection.sendall(
                b"POST /search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Expect: 100-continue\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n"
            )
            assert connection.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"
            connection.sendall(body)
            _, answer = read_answer(connection)
            assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
