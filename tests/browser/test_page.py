"""The network page (``netledger network html``) in a real browser: Debian's Chromium through Playwright.

One browser for the module; each test opens the page from a ``file://`` URL in
a fresh page, fails on any console error, page error or request that leaves
the file, and checks what the page shows against the ledger's graph.
"""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, sync_playwright

from projections.engines import ties
from projections.timeaxes import as_of, change_days
from projections.webpage import page_data, write_page

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AS_OF = "2019-12-31"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = shutil.which("chromium")
    assert chromium, "Chromium is missing: run scripts/install-system-packages (never 'playwright install')"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def page_file(pohang: nx.MultiDiGraph, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("page") / "pohang.html"
    write_page(pohang, path, as_of=AS_OF)
    return path


class Opened:
    """A page opened in the browser, with everything that went wrong while it was open."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        self.requests: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        page.on("request", self._request)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.errors.append(f"console {message.type}: {message.text}")

    def _request(self, request: Request) -> None:
        if not request.url.startswith(("file://", "data:")):
            self.requests.append(request.url)

    def open(self, path: Path) -> Page:
        self.page.goto(path.as_uri())
        self.page.wait_for_selector("body[data-ready=true]", timeout=10_000)
        return self.page


@pytest.fixture
def opened(browser: Browser) -> Iterator[Opened]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    watcher = Opened(context.new_page())
    yield watcher
    context.close()
    assert watcher.errors == [], watcher.errors
    assert watcher.requests == [], f"the page tried to load {watcher.requests}"


@pytest.fixture
def page(opened: Opened, page_file: Path) -> Page:
    return opened.open(page_file)


def visible_ties(page: Page) -> set[str]:
    """The keys of the ties shown (each as ``as_of`` keys it on the slider's day)."""
    shown = page.eval_on_selector_all(
        "path.tie", "els => els.filter(e => getComputedStyle(e).display !== 'none').map(e => e.dataset.tieKey)"
    )
    assert len(shown) == len(set(shown)), "a tie is drawn twice"
    return set(shown)


def visible_nodes(page: Page) -> set[str]:
    return set(
        page.eval_on_selector_all(
            "[data-node-key]",
            "els => els.filter(e => getComputedStyle(e).display !== 'none').map(e => e.dataset.nodeKey)",
        )
    )


def set_stop(page: Page, index: int) -> None:
    page.locator("#slider").fill(str(index))


def ledger_ties(graph: nx.MultiDiGraph, day: str, keep: Any = lambda u, v, a: True) -> set[str]:
    return {k for u, v, k, a in ties(graph, as_of=day) if keep(u, v, a)}


def ledger_nodes(graph: nx.MultiDiGraph, day: str) -> set[str]:
    return set(as_of(graph, day))


# -- loading ------------------------------------------------------------------------------------


def test_the_page_loads_without_errors_or_network_requests(page: Page) -> None:
    assert page.title() == f"pohang-demo: the network as of {AS_OF}"
    assert page.locator("#status").get_attribute("data-visible-nodes") == "19"
    # the Opened fixture fails the test on any console error, page error or outside request


def test_the_file_references_nothing_outside_itself(page_file: Path) -> None:
    text = page_file.read_text(encoding="utf-8")
    assert not re.search(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", text, re.IGNORECASE)
    assert not re.search(r"""url\(\s*["']?\s*(?:https?:)?//""", text, re.IGNORECASE)
    assert "@import" not in text
    assert "default-src 'none'" in text  # and the browser is told to refuse any load
    assert text.count("<script") == 2  # the data and the viewer, both inline


def test_the_page_shows_every_organisation_of_the_ledger(page: Page, pohang: nx.MultiDiGraph) -> None:
    keys = page.eval_on_selector_all("[data-node-key]", "els => els.map(e => e.dataset.nodeKey)")
    assert len(keys) == pohang.number_of_nodes() == 19
    assert set(keys) == set(pohang.nodes)
    assert visible_nodes(page) == set(pohang.nodes)
    assert page.locator("path.tie").count() == pohang.number_of_edges()


def test_the_ties_shown_are_those_active_on_the_date(page: Page, pohang: nx.MultiDiGraph) -> None:
    assert visible_ties(page) == ledger_ties(pohang, AS_OF)
    assert page.locator("#slider").get_attribute("data-date") == AS_OF


# -- the slider ---------------------------------------------------------------------------------


def test_the_slider_steps_through_every_date_the_network_changes(page: Page, pohang: nx.MultiDiGraph) -> None:
    stops = page_data(pohang, as_of=AS_OF)["stops"]
    assert [s["date"] for s in stops] == sorted({*change_days(pohang), AS_OF})
    assert [s["date"] for s in stops][:4] == ["2019-06-19", "2019-07-01", "2019-08-22", "2019-09-23"]
    seen = []
    for i, stop in enumerate(stops):
        set_stop(page, i)
        assert page.locator("#slider").get_attribute("data-date") == stop["date"]
        shown = visible_ties(page)
        assert shown == ledger_ties(pohang, stop["date"]), stop
        assert visible_nodes(page) == ledger_nodes(pohang, stop["date"]), stop
        assert page.locator("#status").get_attribute("data-visible-ties") == str(len(shown))
        assert page.locator("#status").get_attribute("data-visible-nodes") == str(
            len(ledger_nodes(pohang, stop["date"]))
        )
        assert page.locator("#title").text_content() == f"pohang-demo: the network as of {stop['date']}"
        assert page.title() == f"pohang-demo: the network as of {stop['date']}"
        seen.append(shown)
    ended = ledger_ties(pohang, "2019-12-31", lambda u, v, a: (u, v) == ("mss", "battery-rfz"))
    started = ledger_ties(pohang, "2023-12-31", lambda u, v, a: a["kind"] == "investment")
    assert ended and ended <= seen[0] | seen[1] and not ended & seen[-1]
    assert started and started <= seen[-1] and not started & seen[0]


def test_the_page_opens_before_the_launch_and_the_next_stop_is_the_launch(
    opened: Opened, pohang: nx.MultiDiGraph, tmp_path: Path
) -> None:
    path = tmp_path / "early.html"
    write_page(pohang, path, as_of="2019-08-01")
    page = opened.open(path)
    assert page.locator("#slider").get_attribute("data-date") == "2019-08-01"
    assert visible_ties(page) == ledger_ties(pohang, "2019-08-01")
    assert "nssz-promotion-group" not in visible_nodes(page)  # not launched yet
    page.locator("#slider").press("ArrowRight")
    assert page.locator("#slider").get_attribute("data-date") == "2019-08-22"
    assert visible_ties(page) == ledger_ties(pohang, "2019-08-22")
    assert "nssz-promotion-group" in visible_nodes(page)


# -- the panel, search and filters ----------------------------------------------------------------


def test_clicking_an_organisation_shows_its_names_sector_and_ties(page: Page, pohang: nx.MultiDiGraph) -> None:
    assert page.locator("#panel").is_hidden()
    page.locator('[data-node-key="posco"] circle').click()
    panel = page.locator("#panel")
    assert panel.is_visible()
    assert page.locator("#panel-name-en").inner_text() == "POSCO"
    assert page.locator("#panel-name-ko").inner_text() == "포스코"
    assert page.locator("#panel-sector").inner_text() == "firm"
    rows = page.locator("#panel-ties li")
    own = {k for u, v, k in pohang.edges(keys=True) if "posco" in (u, v)}
    assert set(rows.evaluate_all("els => els.map(e => e.dataset.tieId)")) == own
    investment = page.locator("#panel-ties li", has_text="investment")
    assert "KRW 83,000,000,000" in investment.inner_text()
    assert "2021-07-21" in investment.inner_text()
    assert investment.get_attribute("class") == "inactive"  # not yet on 2019-12-31
    page.locator("#panel-close").click()
    assert panel.is_hidden()


def test_searching_highlights_and_selects_an_organisation(page: Page) -> None:
    page.locator("#search").fill("포스텍")
    assert page.locator(".node.is-match").evaluate_all("els => els.map(e => e.dataset.nodeKey)") == ["postech"]
    assert page.locator("#panel").get_attribute("data-node-key") == "postech"
    assert page.locator("#panel-name-ko").inner_text() == "포항공과대학교(포스텍)"
    page.locator("#search").fill("technopark")
    assert sorted(page.locator(".node.is-match").evaluate_all("els => els.map(e => e.dataset.nodeKey)")) == [
        "gbtp",
        "pohang-tp",
    ]
    assert page.locator("#search-count").inner_text() == "2 found"
    page.locator("#search").press("Enter")
    assert page.locator("#panel").get_attribute("data-node-key") in ("gbtp", "pohang-tp")


def test_sector_filters_hide_organisations_and_their_ties(page: Page, pohang: nx.MultiDiGraph) -> None:
    page.locator('#sector-filters input[data-sector="programme"]').uncheck()
    programmes = {k for k, a in pohang.nodes(data=True) if a["sector"] == "programme"}
    assert visible_nodes(page) == set(pohang.nodes) - programmes
    assert visible_ties(page) == ledger_ties(pohang, AS_OF, lambda u, v, a: not {u, v} & programmes)
    page.locator('#sector-filters input[data-sector="programme"]').check()
    assert visible_nodes(page) == set(pohang.nodes)


def test_tie_type_filters_hide_ties(page: Page, pohang: nx.MultiDiGraph) -> None:
    page.locator('#type-filters input[data-tie-type="support"]').uncheck()
    assert visible_ties(page) == ledger_ties(pohang, AS_OF, lambda u, v, a: a["tie_type"] != "support")
    page.locator('#type-filters input[data-tie-type="partnership"]').uncheck()
    assert visible_ties(page) == set()
    assert visible_nodes(page) == set(pohang.nodes)


def test_korean_labels_are_drawn_in_a_korean_font(page: Page, pohang: nx.MultiDiGraph) -> None:
    page.locator("#label-lang").select_option("ko")
    label = page.locator('[data-node-key="pohang-city"] .label')
    assert label.text_content() == pohang.nodes["pohang-city"]["name_ko"] == "포항시"
    assert page.evaluate("document.fonts.check('12px NanumGothic', '포항시')")
    width = label.evaluate("e => e.getComputedTextLength()")
    assert width > 20  # three drawn glyphs, not empty boxes of zero width


# -- zoom, pan, drag --------------------------------------------------------------------------------


def test_wheel_zooms_and_dragging_pans_or_moves_an_organisation(page: Page) -> None:
    graph = page.locator("#graph")
    zoom = float(graph.get_attribute("data-zoom") or 0)
    box = graph.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 30, box["y"] + 30)
    page.mouse.wheel(0, -400)
    assert float(graph.get_attribute("data-zoom") or 0) > zoom
    before = page.locator("#viewport").get_attribute("transform")
    page.mouse.down()
    page.mouse.move(box["x"] + 130, box["y"] + 80, steps=5)
    page.mouse.up()
    assert page.locator("#viewport").get_attribute("transform") != before
    node = page.locator('[data-node-key="posco"]')
    where, tie = node.get_attribute("transform"), page.locator('path.tie[data-source="posco"]').first
    path_before = tie.get_attribute("d")
    circle = page.locator('[data-node-key="posco"] circle').bounding_box()
    assert circle is not None
    page.mouse.move(circle["x"] + circle["width"] / 2, circle["y"] + circle["height"] / 2)
    page.mouse.down()
    page.mouse.move(circle["x"] + 60, circle["y"] + 60, steps=5)
    page.mouse.up()
    assert node.get_attribute("transform") != where
    assert tie.get_attribute("d") != path_before
    assert page.locator("#panel").is_hidden()  # a drag is not a click


# -- it is really drawn ---------------------------------------------------------------------------------


def ink(png: bytes) -> tuple[int, float]:
    """Distinct colours and the share of pixels that are not the white background."""
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3).astype(int)
    return len(np.unique(pixels, axis=0)), float((pixels.sum(axis=1) < 720).mean())


def test_the_graph_area_is_drawn_and_a_blank_one_would_fail(page: Page) -> None:
    colours, share = ink(page.locator("#graph").screenshot())
    assert colours > 40 and share > 0.02, (colours, share)
    for box in page.locator("#sector-filters input").all():
        box.uncheck()
    colours, share = ink(page.locator("#graph").screenshot())
    assert colours < 5 and share < 0.001, (colours, share)  # what the check above sees on a blank page


# -- hostile names --------------------------------------------------------------------------------------


def test_names_cannot_break_out_of_the_page(opened: Opened, tmp_path: Path) -> None:
    g = nx.MultiDiGraph(ledger="</title><script>window.pwned = 1</script>")
    evil = "</script><script>window.pwned = 2</script><!-- \u2028 & <b>"
    g.add_node("evil", key="evil", sector="firm", name_en=evil, name_ko="악성</script>")
    g.add_node("b", key="b", sector="university", name_en="B")
    g.add_edge("evil", "b", key="t:0", tie_type="partnership", kind="partnership", start_on="2020-01-01", end_on=None)
    path = tmp_path / "evil.html"
    write_page(g, path, as_of="2020-06-30")
    page = opened.open(path)
    assert page.evaluate("window.pwned === undefined")
    page.locator('[data-node-key="evil"] circle').click()
    assert page.locator("#panel-name-en").text_content() == evil
    assert page.locator("#panel-name-ko").text_content() == "악성</script>"
    assert page.title() == "</title><script>window.pwned = 1</script>: the network as of 2020-06-30"
