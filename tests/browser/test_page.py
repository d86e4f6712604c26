"""The network page (``netledger network html``) in a real browser: Debian's Chromium through Playwright.

One browser for the module; each test opens the page from a ``file://`` URL in
a fresh page, fails on any console error, page error or request that leaves
the file, and checks what the page shows against the ledger's graph.
"""

from __future__ import annotations

import io
import re
import shutil
import textwrap
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
    """The keys of the ties shown (each as ``as_of`` keys it on the slider's day), from the curves drawn."""
    shown = page.eval_on_selector_all(
        "path.tie",
        "els => els.filter(e => getComputedStyle(e).display !== 'none').flatMap(e => e.dataset.tieKeys.split(' '))",
    )
    assert len(shown) == len(set(shown)), "a tie is drawn twice"
    return set(shown)


def curves(graph: nx.MultiDiGraph) -> set[tuple[str, str, str]]:
    """One curve per linked pair and tie type, whichever the direction."""
    return {(min(u, v), max(u, v), a["tie_type"]) for u, v, a in graph.edges(data=True)}


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
    drawn = page.eval_on_selector_all(
        "path.tie", "els => els.map(e => [e.dataset.source, e.dataset.target, e.dataset.tieType])"
    )
    assert len(drawn) == len(curves(pohang)) < pohang.number_of_edges()  # a pair's ties of one type: one curve
    assert {tuple(c) for c in drawn} == curves(pohang)


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
    where = node.get_attribute("transform")
    tie = page.locator('path.tie[data-source="posco"], path.tie[data-target="posco"]').first
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


# -- readable labels, one curve per pair, a network without dates ----------------------------------------

LABEL_BOXES = """() => {
  const shown = [...document.querySelectorAll('.node')].filter(g => getComputedStyle(g).display !== 'none');
  const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  return {
    labels: shown.map(g => g.querySelector('.label')).filter(l => getComputedStyle(l).display !== 'none')
      .map(l => [l.parentNode.dataset.nodeKey, [...l.querySelectorAll('tspan')].map(t => t.textContent).join(' '),
                 ...box(l)]),
    discs: shown.map(g => [g.dataset.nodeKey, ...box(g.querySelector('circle'))]),
  };
}"""


def label_overlaps(page: Page) -> tuple[int, int, list[tuple[str, str]]]:
    """Pairs of shown labels whose boxes intersect, labels over another organisation's circle (boxes from
    the browser's own layout, half a pixel of tolerance), and each shown label's (key, text)."""
    found = page.evaluate(LABEL_BOXES)
    labels, discs = found["labels"], found["discs"]

    def cross(a: list[float], b: list[float]) -> bool:
        return min(a[2], b[2]) - max(a[0], b[0]) > 0.5 and min(a[3], b[3]) - max(a[1], b[1]) > 0.5

    pairs = sum(cross(a[2:], b[2:]) for i, a in enumerate(labels) for b in labels[i + 1 :])
    covering = 0
    for key, _, *box in labels:
        for other, x0, y0, x1, y1 in discs:
            cx, cy, r = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2
            nx_, ny_ = min(max(cx, box[0]), box[2]), min(max(cy, box[1]), box[3])
            covering += other != key and (cx - nx_) ** 2 + (cy - ny_) ** 2 < (r - 0.5) ** 2
    return pairs, covering, [(k, t) for k, t, *_ in labels]


def crowded(page: Page) -> int:
    return int(page.locator("#graph").get_attribute("data-crowded-labels") or -1)


@pytest.mark.parametrize("language", ["en", "ko"])
def test_the_demo_s_labels_are_whole_names_and_never_overlap(
    page: Page, pohang: nx.MultiDiGraph, language: str
) -> None:
    page.locator("#label-lang").select_option(language)
    pairs, covering, shown = label_overlaps(page)
    assert (pairs, covering) == (0, 0)
    field = "name_ko" if language == "ko" else "name_en"
    assert len(shown) == 19 - crowded(page) > 10
    for key, text in shown:
        assert text == pohang.nodes[key][field], key  # whole, never cut at 30 characters


def test_a_300_organisation_page_shows_what_fits_and_more_when_zoomed(opened: Opened, tmp_path: Path) -> None:
    from tests.pictures.synthetic import network

    g = network(300, seed=1)
    path = tmp_path / "big.html"
    write_page(g, path, as_of="2025-12-31")
    page = opened.open(path)
    assert label_overlaps(page)[:2] == (0, 0)
    far = crowded(page)
    assert far > 0  # not every label fits the whole network on one screen
    for _ in range(4):
        page.locator("#zoom-in").click()
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    assert crowded(page) < far
    pairs, covering, shown = label_overlaps(page)
    assert (pairs, covering) == (0, 0)
    assert all(text == g.nodes[key]["name_en"] for key, text in shown)


def test_hovering_an_organisation_shows_its_whole_label(opened: Opened, tmp_path: Path) -> None:
    from tests.pictures.synthetic import network

    g = network(300, seed=1)
    path = tmp_path / "big.html"
    write_page(g, path, as_of="2025-12-31")
    page = opened.open(path)
    key = page.locator(".node.is-crowded").first.get_attribute("data-node-key")
    hidden = page.locator(f'[data-node-key="{key}"]')
    assert key is not None and hidden.locator(".label").is_hidden()
    hidden.locator("circle").hover(force=True)
    assert hidden.locator(".label").is_visible()
    assert " ".join(hidden.locator("tspan").all_text_contents()) == g.nodes[key]["name_en"]
    assert g.nodes[key]["name_en"] in (hidden.locator("title").text_content() or "")


def test_a_long_name_is_shown_whole_on_several_lines(opened: Opened, tmp_path: Path) -> None:
    g = nx.MultiDiGraph(ledger="long")
    name = "Gyeongsangbuk-do Regional Innovation Agency for Next-generation Battery Recycling"
    g.add_node("a", key="a", sector="intermediary", name_en=name)
    g.add_node("b", key="b", sector="firm", name_en="B")
    g.add_edge("a", "b", key="t:0", tie_type="partnership", start_on="2020-01-01", end_on=None)
    path = tmp_path / "long.html"
    write_page(g, path, as_of="2020-06-30")
    page = opened.open(path)
    lines = page.locator('[data-node-key="a"] tspan').all_text_contents()
    # wrapped at whole words as the picture wraps them (textwrap, 22 characters, hyphens kept)
    assert lines == textwrap.wrap(name, width=22, break_long_words=False, break_on_hyphens=False)
    assert " ".join(lines) == name and len(lines) == 5


def test_reciprocal_ties_are_one_curve(opened: Opened, tmp_path: Path) -> None:
    g = nx.MultiDiGraph(ledger="reciprocal")
    for key in "ab":
        g.add_node(key, key=key, sector="firm", name_en=key.upper())
    g.add_edge("a", "b", key="s1:0", tie_type="support", start_on="2020-01-01", end_on=None)
    g.add_edge("b", "a", key="s2:0", tie_type="support", start_on="2020-02-01", end_on=None)
    g.add_edge("b", "a", key="p1:0", tie_type="partnership", start_on="2020-01-01", end_on=None)
    path = tmp_path / "reciprocal.html"
    write_page(g, path, as_of="2020-06-30")
    page = opened.open(path)
    drawn = page.eval_on_selector_all("path.tie", "els => els.map(e => [e.dataset.tieType, e.dataset.tieKeys])")
    assert sorted(drawn) == [["partnership", "p1:0"], ["support", "s1:0 s2:0"]]
    assert page.locator("#status").get_attribute("data-visible-ties") == "3"
    set_stop(page, 0)  # 2020-01-01: only the first support so far
    assert visible_ties(page) == {"s1:0", "p1:0"}


def test_a_network_with_one_date_has_no_slider_to_move(opened: Opened, tmp_path: Path) -> None:
    g = nx.MultiDiGraph(ledger="undated")
    for i in range(40):
        g.add_node(f"o{i}", key=f"o{i}", sector="firm", name_en=f"Org {i}")
    for i in range(39):
        g.add_edge(f"o{i}", f"o{i + 1}", key=f"t{i}:0", tie_type="partnership", start_on="2024-01-01", end_on=None)
    path = tmp_path / "undated.html"
    data = write_page(g, path, as_of="2024-01-01")
    assert [s["date"] for s in data["stops"]] == ["2024-01-01"]  # one stop, not one a year
    page = opened.open(path)
    assert page.locator("#slider").is_hidden() and page.locator("#play").is_hidden()
    assert page.locator("#slider-date").inner_text() == "as of 2024-01-01"
    assert page.locator("#status").get_attribute("data-visible-ties") == "39"
    assert [s["date"] for s in page_data(g, as_of="2025-06-30")["stops"]] == ["2024-01-01", "2025-06-30"]
