"""The documentation site builds with ``mkdocs build --strict``: no broken link, no page left out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.docs.helpers import DOCS, ROOT, pages


def test_the_site_builds_without_warnings(tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            str(ROOT / "mkdocs.yml"),
            "--site-dir",
            site,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    warnings = [line for line in result.stderr.splitlines() if not line.startswith("INFO")]
    assert result.returncode == 0, "mkdocs build --strict failed:\n" + "\n".join(warnings or [result.stderr])
    for page in [*pages(), "reference/cli-help.md"]:
        built = site / (page.removesuffix(".md") + "/index.html" if page != "index.md" else "index.html")
        assert built.exists(), f"docs/{page} was not built into {built.relative_to(site)}"
    for image in (DOCS / "img").iterdir():
        assert (site / "img" / image.name).exists(), f"docs/img/{image.name} is not in the site"
