"""`dvc plots show` opened in a real headless Chromium, with the network cut: every image loads.

What is checked, honestly: the pipeline first runs in full on tiny data, so every image plot
that dvc.yaml declares (read from its top-level `plots:`) exists. Chromium then loads the
generated index.html from disk with every host name unresolvable (so the chart library DVC
fetches from a CDN is absent, as on an offline machine); a script appended to a copy of the
page, run after the load event, records for each <img> whether the browser loaded it
(`complete` and `naturalWidth > 0`, which a missing or undecodable file never reaches); the
dumped DOM carries that record back. Chromium draws a truncated PNG as far as it goes and
counts it as loaded, so each <img> source is also fully decoded with Pillow. The Vega charts of
the CSV plots are not checked: offline they cannot render, which is why the PNG curves exist.
"""

from __future__ import annotations

import html.parser
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from PIL import Image

from tests.helpers import load_repo_params, run

pytestmark = pytest.mark.slow

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Appended to a copy of the page: after the load event, whether each image loaded, and its width.
# (An image that failed to load or decode has naturalWidth 0.)
IMAGE_REPORT_SCRIPT = """
<script>
window.addEventListener("load", () => {
  const images = Array.from(document.images).map((image) => ({
    src: image.getAttribute("src"), loaded: image.complete && image.naturalWidth > 0,
    width: image.naturalWidth}));
  const report = document.createElement("pre");
  report.id = "image-report";
  report.textContent = JSON.stringify(images);
  document.body.appendChild(report);
});
</script>
"""


class ImageSources(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []
        self.report: str | None = None
        self._in_report = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "img" and attributes.get("src"):
            self.sources.append(str(attributes["src"]))
        self._in_report = tag == "pre" and attributes.get("id") == "image-report"

    def handle_data(self, data: str) -> None:
        if self._in_report:
            self.report = (self.report or "") + data


def dump_dom_offline(page: Path, profile: Path) -> str:
    """The DOM of `page` after load, in headless Chromium with every host name unresolvable."""
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=10000",
        "--dump-dom",
        page.as_uri(),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"chromium exited {result.returncode}: {result.stderr[-2000:]}"
    return result.stdout


def declared_images(repo: Path) -> list[str]:
    """Every image file the top-level `plots:` of dvc.yaml names, folders expanded."""
    entries = yaml.safe_load((repo / "dvc.yaml").read_text())["plots"]
    paths = [entry if isinstance(entry, str) else next(iter(entry)) for entry in entries]
    images = []
    for path in map(Path, paths):
        files = sorted((repo / path).iterdir()) if (repo / path).is_dir() else [repo / path]
        images += [str(file.relative_to(repo)) for file in files if file.suffix in IMAGE_SUFFIXES]
    return images


def images_in_browser(page: Path, profile: Path) -> ImageSources:
    """The <img> sources of the page and the browser's own report on each image."""
    parser = ImageSources()
    parser.feed(dump_dom_offline(page, profile))
    assert parser.report is not None, "the page's load event never fired"
    return parser


def test_every_image_plot_of_dvc_plots_show_loads_in_chromium_offline(reproduced_repo, tmp_path):
    if CHROMIUM is None:
        # CI must not pass by skipping: .ci/run installs Debian's chromium before the tests.
        if os.environ.get("CI"):
            pytest.fail("no chromium on PATH in CI; .ci/run should have installed it")
        pytest.skip("no chromium on PATH (.ci/run installs Debian's chromium)")
    expected = declared_images(reproduced_repo)
    models = load_repo_params()["models"]
    assert {f"plots/curves/model_{name}.png" for name in models} <= set(expected)
    run(["dvc", "plots", "show", "--out", "shown"], reproduced_repo)
    index = reproduced_repo / "shown" / "index.html"
    checked_page = index.with_name("checked.html")
    checked_page.write_text(index.read_text().replace("</body>", IMAGE_REPORT_SCRIPT + "</body>"))

    parser = images_in_browser(checked_page, tmp_path / "chromium-profile")
    in_browser = json.loads(str(parser.report))

    # Every image plot dvc.yaml declares is on the page (DVC copies each under static/).
    shown = {(index.parent / image["src"]).read_bytes() for image in in_browser}
    missing = [path for path in expected if (reproduced_repo / path).read_bytes() not in shown]
    assert not missing, f"declared image plots missing from the page: {missing}"
    assert len(in_browser) == len(parser.sources) >= len(expected)
    not_loaded = [image for image in in_browser if not image["loaded"]]
    assert not not_loaded, f"images the browser could not load: {not_loaded}"
    for source in parser.sources:
        with Image.open(index.parent / source) as picture:
            picture.load()
            assert picture.size[0] > 100 and picture.size[1] > 100

    # The browser check can fail: one image replaced by bytes that are not a PNG is reported.
    (index.parent / parser.sources[0]).write_bytes(b"not a picture")
    again = json.loads(str(images_in_browser(checked_page, tmp_path / "profile-2").report))
    assert [image["src"] for image in again if not image["loaded"]] == [parser.sources[0]]
