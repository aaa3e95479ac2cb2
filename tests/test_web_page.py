"""The search page at `/` in a real browser (Debian's chromium, driven by Playwright) against a
real API server, Meilisearch and archive: what a reader does, checked on screen."""

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from app.auth.models import Scope
from tests import web_server
from tests.web_server import ARTICLE_COUNT, CHROMIUM, CHROMIUM_ARGS, FERRY, Served

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from tests.meili_plugin import MeiliServer

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=web_server.NO_BROWSER)


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path, meili_server: "MeiliServer"
) -> Iterator[Served]:
    """One archive and server for the module: the tests only read."""
    with web_server.seeded(
        tmp_path_factory.mktemp("web"), sqlite_template, meili_server.url, meili_server.master_key
    ) as served:
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator["Browser"]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture
def page(
    browser: "Browser", request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator["Page"]:
    """A fresh browser tab; a screenshot when the test failed; no script error allowed."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    failed_before = request.session.testsfailed
    yield tab
    if request.session.testsfailed > failed_before:
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        shot = web_server.artefact_dir(tmp_path_factory.getbasetemp()) / f"{name}.png"
        tab.screenshot(path=str(shot), full_page=True)
        print(f"screenshot of the failed page: {shot}")
    context.close()
    assert errors == [], errors


def openapi_get_paths() -> list[str]:
    document = json.loads((Path(__file__).resolve().parent.parent / "openapi.json").read_text())
    return [path for path, methods in document["paths"].items() if "get" in methods]


def hit_titles(page: "Page") -> list[str]:
    titles: list[str] = page.locator("#hits .hit h3").all_inner_texts()
    return titles


def expect_hits(page: "Page", count: int) -> None:
    page.wait_for_function(
        "n => document.querySelectorAll('#hits .hit').length === n && "
        "!document.getElementById('hits').hasAttribute('aria-busy')",
        arg=count,
    )


def test_typing_a_query_shows_highlighted_hits_and_the_url_keeps_it(
    served: Served, page: "Page"
) -> None:
    page.goto(served.url + "/")
    expect_hits(page, 20)
    page.locator("#q").press_sequentially("ferri", delay=30)  # a typo for ferry
    expect_hits(page, len(FERRY))
    assert sorted(hit_titles(page)) == sorted(
        f"Night ferry to Port Elin returns, report {n}" for n in FERRY
    )
    assert page.locator("#hits .hit h3 mark").first.inner_text() == "ferry"
    assert page.locator("#summary").inner_text().startswith("3 articles for “ferri”")
    assert page.url == served.url + "/?q=ferri"
    page.wait_for_function("document.querySelector('#timeline canvas') !== null")
    page.reload()
    expect_hits(page, len(FERRY))
    assert page.locator("#q").input_value() == "ferri"
    page.locator("#hits .hit h3 a").first.focus()
    page.keyboard.press("Enter")  # links work from the keyboard
    page.locator("#article-title").wait_for()
    assert page.url.startswith(served.url + "/?view=article&id=")


def test_exact_duplicates_are_shown_when_asked_for(served: Served, page: "Page") -> None:
    page.goto(served.url + "/?q=ferry&sort=newest")
    expect_hits(page, len(FERRY))
    page.get_by_label("Show exact duplicates").check()
    expect_hits(page, len(FERRY) + 1)
    assert page.url == served.url + "/?q=ferry&sort=newest&duplicates=true"
    original = FERRY[0] + 1
    copy = page.locator("#hits .hit", has_text=f"exact copy of article {original}")
    assert copy.locator("h3").inner_text() == web_server.DUPLICATE["title"]
    copy.locator("h3 a").click()
    page.locator("#article-title").wait_for()
    assert (
        page.locator("#article-view .note").inner_text() == f"An exact copy of article {original}."
    )
    page.locator("#article-view .note a").click()
    page.wait_for_url(f"{served.url}/?view=article&id={original}")
    page.locator("#article-view .body").wait_for()
    assert page.locator("#article-view .note").count() == 0


def test_a_refused_filter_is_explained_in_words(served: Served, page: "Page") -> None:
    page.goto(served.url + "/?q=bridge&from=2024-03-01&to=2024-02-01")
    problem = page.get_by_role("alert")
    problem.wait_for()
    assert problem.inner_text() == "Unprocessable Entity: from: must not be after `to`."
    assert page.locator("#hits .hit").count() == 0
    assert page.locator("#summary").inner_text() == ""


def test_an_entity_chip_and_a_date_range_narrow_the_hits_and_back_undoes_them(
    served: Served, page: "Page"
) -> None:
    page.goto(served.url + "/")
    expect_hits(page, 20)
    chooser = page.locator("#entity-input")
    chooser.press_sequentially("mara q", delay=20)
    option = page.get_by_role("option", name=re.compile("Mara Quist"))
    option.wait_for()
    assert chooser.get_attribute("aria-expanded") == "true"
    chooser.press("ArrowDown")
    chooser.press("Enter")  # chosen with the keyboard
    chip = page.locator("#entity-chips .chip")
    chip.wait_for()
    assert chip.locator("span").all_inner_texts() == ["Mara Quist", "person"]
    assert page.url == served.url + "/?entity=mara-quist"
    expect_hits(page, web_server.with_mara())  # 15: a page of 20 holds them all
    assert "15 articles" in page.locator("#summary").inner_text()
    # Mara Quist is in articles 0, 3, 6, ...; dated every 4 days from 3 January 2024:
    # 1-29 February holds days 29-57 after it, articles 8-14, of which 9 and 12.
    page.locator("#from").fill("2024-02-01")
    page.locator("#from").dispatch_event("change")
    page.locator("#to").fill("2024-02-29")
    page.locator("#to").dispatch_event("change")
    expect_hits(page, 2)
    assert hit_titles(page) == ["Harbour bridge works, week 12", "Harbour bridge works, week 9"]
    assert page.url == served.url + "/?from=2024-02-01&to=2024-02-29&entity=mara-quist"
    page.go_back()  # before the end date
    expect_hits(page, 12)
    assert page.locator("#to").input_value() == ""
    assert page.locator("#from").input_value() == "2024-02-01"
    page.go_back()  # before the start date
    expect_hits(page, 15)
    assert page.locator("#from").input_value() == ""
    assert page.locator("#more").is_hidden()
    page.locator("#entity-chips button").click()  # "Remove entity Mara Quist"
    expect_hits(page, 20)
    assert page.url == served.url + "/"


def test_scrolling_loads_more_hits_until_the_end(served: Served, page: "Page") -> None:
    page.goto(served.url + "/?sort=newest")
    expect_hits(page, 20)
    page.mouse.wheel(0, 20_000)
    expect_hits(page, 40)
    page.mouse.wheel(0, 20_000)
    expect_hits(page, ARTICLE_COUNT)
    assert page.locator("#more").is_hidden()
    titles = hit_titles(page)
    assert titles[0] == "Harbour bridge works, week 44"
    assert titles[-1] == "Harbour bridge works, week 0"
    assert len(set(titles)) == ARTICLE_COUNT


def test_a_facet_filters_when_clicked(served: Served, page: "Page") -> None:
    page.goto(served.url + "/?q=bridge")
    expect_hits(page, 20)
    facet = page.locator('[data-facet="source"] a[data-value="Valley Times"]')
    valley = len([n for n in range(ARTICLE_COUNT) if n % 2 == 1 and n not in FERRY])
    assert facet.get_attribute("aria-label") == f"Sources: Valley Times, {valley} articles"
    facet.click()
    page.wait_for_url(served.url + "/?q=bridge&source=Valley+Times")
    expect_hits(page, valley)
    assert page.locator("#source").input_value() == "Valley Times"
    assert page.locator("#summary").inner_text().startswith(f"{valley} articles")


def test_an_article_and_its_entity_page_on_a_phone(served: Served, browser: "Browser") -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(served.url + "/?q=ferri")
        expect_hits(page, len(FERRY))
        page.get_by_role(
            "link", name=f"Night ferry to Port Elin returns, report {FERRY[-1]}"
        ).click()
        page.locator("#article-title").wait_for()
        assert page.url == f"{served.url}/?view=article&id={FERRY[-1] + 1}"
        body = page.locator("#article-view .body").inner_text()
        assert f"The night ferry crossed to Port Elin again on day {FERRY[-1]}." in body
        assert page.locator("#article-view .related").is_hidden()  # no related articles offered
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], width  # nothing wider than the phone
        page.locator("#article-view .entities").get_by_role("link", name="Mara Quist").click()
        page.locator("#entity-title").wait_for()
        assert page.url == f"{served.url}/?view=entity&slug=mara-quist"
        assert page.locator("#entity-view .aliases").inner_text() == "Mara Quist"
        page.wait_for_function("document.querySelector('#entity-view .chart canvas') !== null")
        assert page.locator("#entity-view .chart li").count() == 6  # January to June 2024
        co = page.locator("#entity-view .entities a").all_inner_texts()
        assert sorted(co) == ["Harbour Authority", "Port Elin"]
        page.locator("#entity-view ol.hits li").nth(web_server.with_mara() - 1).wait_for()
        page.go_back()
        page.locator("#article-title").wait_for()
        assert page.locator("#article-title").inner_text().endswith(f"report {FERRY[-1]}")
    finally:
        context.close()


def test_the_page_works_from_another_origin_with_cors(served: Served, page: "Page") -> None:
    """Opened from http://localhost:PORT (an origin CORS_ALLOW_ORIGINS lists), calling the API
    at http://127.0.0.1:PORT named by ?api=."""
    other_origin = f"http://localhost:{served.port}"
    requests: list[tuple[str, str]] = []
    page.on("request", lambda request: requests.append((request.method, request.url)))
    page.goto(f"{other_origin}/?api={served.url}&q=ferri")
    expect_hits(page, len(FERRY))
    page.locator("#hits .hit h3 a").first.click()
    page.locator("#article-title").wait_for()
    page.locator("#article-view .entities a").first.click()
    page.locator("#entity-title").wait_for()
    # The page came from its origin; everything else went to the API, by documented GETs.
    api_calls = {urlsplit(url).path for method, url in requests if url.startswith(served.url + "/")}
    page_files = {url for _, url in requests if url.startswith(other_origin + "/")}
    assert {method for method, _ in requests} == {"GET"}
    assert {"{0.scheme}://{0.netloc}".format(urlsplit(url)) for _, url in requests} == {
        other_origin,
        served.url,
    }
    assert {"/search", "/search/timeline"} <= api_calls
    documented = {f"^{re.sub(r'{[^}]+}', '[^/]+', path)}$" for path in openapi_get_paths()}
    for path in api_calls:
        assert any(re.match(pattern, path) for pattern in documented) or path.endswith(
            "/related"
        ), path
    assert all(urlsplit(url).path == "/" or "/static/" in url for url in page_files)
    assert page.url.startswith(f"{other_origin}/?view=entity&slug=")
    assert f"api={served.url}".replace(":", "%3A").replace("/", "%2F") in page.url


@pytest.fixture
def meili_down(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Served]:
    """A server whose Meilisearch is not there (nothing listens on its port)."""
    with web_server.free_socket() as closed:
        dead = f"http://127.0.0.1:{closed.getsockname()[1]}"
    settings = web_server.archive_settings(
        tmp_path_factory.mktemp("web-down"), sqlite_template, dead, None, "articles"
    )
    with web_server.serving(settings) as served:
        yield served


def test_meilisearch_down_is_told_in_words(meili_down: Served, page: "Page") -> None:
    page.goto(meili_down.url + "/?q=bridge")
    problem = page.get_by_role("alert")
    problem.wait_for()
    assert problem.inner_text() == (
        "Service Unavailable: Search is temporarily unavailable; try again shortly. "
        "The search service may be down; try again in a moment."
    )
    assert page.locator("#hits .hit").count() == 0
    assert page.locator("#timeline").inner_text() == "The timeline is unavailable."


@pytest.fixture(scope="module")
def private(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path, meili_server: "MeiliServer"
) -> Iterator[Served]:
    """An archive whose reads need a key (REQUIRE_KEY_FOR_READS)."""
    with web_server.seeded(
        tmp_path_factory.mktemp("web-private"),
        sqlite_template,
        meili_server.url,
        meili_server.master_key,
        REQUIRE_KEY_FOR_READS=True,
    ) as served:
        yield served


def authorization_sent(page: "Page", prefix: str) -> list[str | None]:
    """The Authorization header (None without one) of each request to a URL under `prefix`,
    as the page sends them."""
    sent: list[str | None] = []
    page.on(
        "request",
        lambda request: (
            sent.append(request.headers.get("authorization"))
            if request.url.startswith(prefix)
            else None
        ),
    )
    return sent


def test_a_private_archive_asks_for_a_key_and_reads_with_it(private: Served, page: "Page") -> None:
    read_key = web_server.create_key(private, Scope.read)
    sent = authorization_sent(page, private.url + "/search")
    page.goto(private.url + "/?q=ferri")
    key_input = page.get_by_role("textbox", name="API key")
    key_input.wait_for()
    assert page.get_by_role("alert").inner_text() == (
        "Unauthorized: Reading needs an API key on this server."
    )
    assert page.locator("#hits .hit").count() == 0
    assert page.evaluate("document.activeElement.id") == "api-key"

    key_input.fill("na_not-a-key")
    page.get_by_role("button", name="Use key").click()
    page.wait_for_function("document.getElementById('problem').textContent.includes('key')")
    assert page.get_by_role("alert").inner_text().startswith("Unauthorized")
    assert "Reading needs" not in page.get_by_role("alert").inner_text()
    assert page.locator("#key-form").is_visible()

    key_input.fill(read_key)
    page.get_by_role("button", name="Use key").click()
    expect_hits(page, len(FERRY))
    assert page.locator("#key-form").is_hidden()
    assert page.locator("#key-held").is_visible()
    assert sent[0] is None
    assert sent[-1] == f"Bearer {read_key}"
    assert read_key not in page.url

    page.reload()  # kept for the tab: no second prompt
    expect_hits(page, len(FERRY))
    assert page.locator("#key-form").is_hidden()

    page.get_by_role("button", name="Forget key").click()
    key_input.wait_for()
    assert page.locator("#hits .hit").count() == 0
    assert page.evaluate("sessionStorage.length + localStorage.length") == 0


def test_a_private_archive_from_another_origin_sends_its_key_through_cors(
    private: Served, page: "Page"
) -> None:
    """The key travels in a header CORS must allow (a preflight): the hits show it did."""
    other_origin = f"http://localhost:{private.port}"
    read_key = web_server.create_key(private, Scope.read)
    sent = authorization_sent(page, private.url + "/search?")
    page.goto(f"{other_origin}/?api={private.url}&q=ferri")
    page.get_by_role("textbox", name="API key").fill(read_key)
    page.get_by_role("button", name="Use key").click()
    expect_hits(page, len(FERRY))
    assert sent[-1] == f"Bearer {read_key}"
    # The key is kept for the API it was given to, not for the page's own origin.
    assert page.evaluate("Object.keys(sessionStorage)") == [f"newsarchive-api-key:{private.url}"]
