"""Benchmark: the network page in a real browser, two viewers side by side, 20 to 5,000 organisations.

Run it from the repository root (Debian's Chromium, as the browser tests use it)::

    .venv/bin/python benchmarks/page.py                  # 20, 300 and 5,000 organisations
    .venv/bin/python benchmarks/page.py --sizes 20 300   # smaller
    .venv/bin/python benchmarks/page.py --before REV     # compare with the viewer of a git revision

For each size, a generated network (``tests.pictures.synthetic``, seed 1,
as of 2025-12-31) is written as a page twice: with the viewer in the working
tree (``after``) and with the viewer of the git revision ``--before`` (default
``fc92bfa``, the SVG viewer before issue 15's label and curve changes), the
data identical. Up to 2,000 organisations the positions are the spring layout
``network html`` uses; above, where that layout is refused, igraph's
Fruchterman-Reingold (the drawing work is what is measured, not the layout).

Each page is opened in a fresh headless Chromium page (1400 x 900), in turns
(before, after, before, ...), three rounds; the table gives medians:

- **first draw**: milliseconds from the start of navigation to the first
  animation frame after the viewer says it is ready (``body[data-ready]``):
  parsing, building the drawing, the first layout and paint;
- **drag node**: the median and the 95th percentile of the intervals between
  animation frames while the mouse drags the best-connected organisation
  (60 moves), in milliseconds (16.7 is the display's own pace);
- **pan**: the same while dragging the background;
- **zoom**: the same while the wheel zooms in (20 steps).

With ``--sigma`` a third row, ``sigma``: ``benchmarks/sigma_prototype.js``, the
same data drawn by sigma.js 3.0.3 on graphology 0.26.0 (WebGL; ``npm pack``
fetches both), the network of the page's date only, with node dragging, pan and
zoom and none of the page's other features: a measure of what a switch could
gain, not a viewer. Without a GPU, Chromium runs WebGL on SwiftShader (the CPU).

Headless Chromium without a GPU draws on the CPU: absolute figures are those of
this machine; compare before and after within one run.
"""

from __future__ import annotations

import argparse
import html
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from projections.webpage import page_data, script_json  # noqa: E402
from tests.browser.test_page import CHROMIUM_ARGS  # noqa: E402
from tests.pictures.synthetic import network  # noqa: E402

ASSETS = ("page.html", "viewer.js", "viewer.css")
FRAMES = """() => { window.__frames = []; window.__recording = true;
  const tick = t => { if (!window.__recording) return; window.__frames.push(t); requestAnimationFrame(tick); };
  requestAnimationFrame(tick); }"""
STOP = """() => new Promise(r => requestAnimationFrame(() => { window.__recording = false;
  const f = window.__frames; r(f.slice(1).map((t, i) => t - f[i])); }))"""


def assets(revision: str | None) -> dict[str, str]:
    """The viewer's files in the working tree (*revision* None) or at a git revision."""
    if revision is None:
        return {name: (ROOT / "projections" / "webpage" / name).read_text(encoding="utf-8") for name in ASSETS}
    return {
        name: subprocess.run(
            ["git", "show", f"{revision}:projections/webpage/{name}"], cwd=ROOT, check=True, capture_output=True
        ).stdout.decode("utf-8")
        for name in ASSETS
    }


def render(data: dict[str, Any], files: dict[str, str]) -> str:
    title = f"{data['ledger']}: the network as of {data['as_of']}"
    page = files["page.html"]
    for placeholder, value in (
        ("{{TITLE}}", html.escape(title)),
        ("{{STYLE}}", files["viewer.css"]),
        ("{{SCRIPT}}", files["viewer.js"]),
        ("{{DATA}}", script_json(data)),
    ):
        page = page.replace(placeholder, value)
    return page


SIGMA_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>sigma prototype</title>
<style>html, body {{ margin: 0; height: 100%; }} #graph {{ width: 100%; height: 100%; }}</style></head>
<body><div id="graph"></div>
<script type="application/json" id="ledger-data">{data}</script>
<script>{graphology}</script><script>{sigma}</script><script>{viewer}</script></body></html>"""


def sigma_files(folder: Path) -> dict[str, str]:
    """graphology 0.26.0 and sigma 3.0.3 (their UMD builds) from the npm registry, and the prototype viewer."""
    found = {"viewer": (ROOT / "benchmarks" / "sigma_prototype.js").read_text(encoding="utf-8")}
    for name, package, inside in (
        ("graphology", "graphology@0.26.0", "package/dist/graphology.umd.min.js"),
        ("sigma", "sigma@3.0.3", "package/dist/sigma.min.js"),
    ):
        out = subprocess.run(
            ["npm", "pack", package, "--silent", "--pack-destination", str(folder)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()[-1]
        with tarfile.open(folder / out) as archive:
            member = archive.extractfile(inside)
            assert member is not None
            found[name] = member.read().decode("utf-8")
    return found


def data_of(n: int) -> dict[str, Any]:
    graph = network(n, seed=1, ledger=f"generated {n}")
    if n <= 2000:
        return page_data(graph, as_of="2025-12-31")
    data = page_data(graph, as_of="2025-12-31", layout="circular")
    from projections.engines import to_igraph
    from projections.webpage import _every_tie_ever

    engine = to_igraph(_every_tie_ever(graph, None), weighted=False)
    coords = engine.graph.layout_fruchterman_reingold(niter=300, seed=None).coords
    xs, ys = [c[0] for c in coords], [c[1] for c in coords]
    span = max(max(xs) - min(xs), max(ys) - min(ys))
    where = {k: ((x - min(xs)) / span, (y - min(ys)) / span) for k, (x, y) in zip(engine.keys, coords, strict=True)}
    for node in data["nodes"]:
        node["x"], node["y"] = (round(v, 6) for v in where[node["key"]])
    return data


def measure(browser: Any, path: Path, hub: str) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.goto(path.as_uri(), wait_until="commit")
    page.wait_for_selector("body[data-ready=true]", timeout=120_000)
    first = page.evaluate("() => new Promise(r => requestAnimationFrame(() => r(performance.now())))")
    found: dict[str, float] = {"first draw": first}
    graph = page.locator("#graph").bounding_box()
    assert graph is not None
    if page.evaluate("() => typeof window.__nodeScreen === 'function'"):  # the sigma prototype
        where = page.evaluate("key => window.__nodeScreen(key)", hub)
        cx, cy = where["x"], where["y"]
    else:
        circle = page.locator(f'[data-node-key="{hub}"] circle').bounding_box()
        assert circle is not None
        cx, cy = circle["x"] + circle["width"] / 2, circle["y"] + circle["height"] / 2
    for name, (x, y) in (("drag node", (cx, cy)), ("pan", (graph["x"] + 5, graph["y"] + 5))):
        page.mouse.move(x, y)
        page.evaluate(FRAMES)
        page.mouse.down()
        for i in range(60):
            page.mouse.move(x + 2 * i, y + i)
        page.mouse.up()
        gaps = page.evaluate(STOP)
        found[name], found[name + " p95"] = statistics.median(gaps), _p95(gaps)
    page.mouse.move(graph["x"] + graph["width"] / 2, graph["y"] + graph["height"] / 2)
    page.evaluate(FRAMES)
    for _ in range(20):
        page.mouse.wheel(0, -60)
    gaps = page.evaluate(STOP)
    found["zoom"], found["zoom p95"] = statistics.median(gaps), _p95(gaps)
    context.close()
    return found


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] if ordered else float("nan")


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 300, 5000])
    parser.add_argument("--before", default="fc92bfa", help="git revision of the viewer to compare with")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sigma", action="store_true", help="also a sigma.js prototype (npm fetches sigma)")
    args = parser.parse_args()
    viewers: dict[str, dict[str, str]] = {"before": assets(args.before), "after": assets(None)}
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("Chromium is missing: run scripts/install-system-packages")
    print(f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores; before = {args.before}")
    columns = ("first draw", "drag node", "drag node p95", "pan", "pan p95", "zoom", "zoom p95")
    header = f"{'orgs':>5} {'viewer':<7} " + " ".join(f"{c:>13}" for c in columns)
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as p:
        if args.sigma:
            viewers["sigma"] = sigma_files(Path(folder))
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        print(header)
        print("-" * len(header))
        for n in args.sizes:
            data = data_of(n)
            degree: dict[str, int] = {}
            for tie in data["ties"]:
                for end in (tie["source"], tie["target"]):
                    degree[end] = degree.get(end, 0) + 1
            hub = max(sorted(degree), key=degree.__getitem__)
            paths = {}
            for name, files in viewers.items():
                paths[name] = Path(folder) / f"{name}-{n}.html"
                text = SIGMA_PAGE.format(data=script_json(data), **files) if name == "sigma" else render(data, files)
                paths[name].write_text(text, encoding="utf-8")
            runs: dict[str, list[dict[str, float]]] = {name: [] for name in viewers}
            for _ in range(args.rounds):
                for name in viewers:
                    runs[name].append(measure(browser, paths[name], hub))
            for name in viewers:
                cells = " ".join(f"{statistics.median(r[c] for r in runs[name]):>13.1f}" for c in columns)
                print(f"{n:>5} {name:<7} {cells}", flush=True)
        browser.close()
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
