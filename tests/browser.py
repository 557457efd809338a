"""Headless Chromium for the tests of `dvc plots show`: a page opened with the network blocked,
and the browser's own record of what it drew.

A script put into a copy of the page records, after the load event, the data marks Vega drew
into each chart's block, the page's script errors and which images loaded; the dumped DOM
carries that record back. A loopback HTTP server (`probe_server`) is the witness that the block
holds: each checked page also asks it for a script, which must never arrive.
"""

from __future__ import annotations

import html.parser
import http.server
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BLOCK_NETWORK = [
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=127.0.0.1:9",
    # Chromium never proxies loopback addresses unless told to; then they are blocked too.
    "--proxy-bypass-list=<-loopback>",
]


# Put first into the <head> of a copy of the page. The report waits (in the browser's virtual
# time) until every chart holds data marks or 5 s have passed; `CHART_IDS` is filled in.
REPORT_SCRIPT = """
<script>
window.scriptErrors = [];
window.addEventListener("error", (event) => window.scriptErrors.push(String(event.message)));
window.addEventListener("load", () => {
  const started = Date.now();
  const marks = (id) => {
    const chart = document.getElementById(id);
    const symbols = chart ? chart.querySelectorAll(
      "svg.marks .role-mark [role='graphics-symbol']") : [];
    return Array.from(symbols).map((mark) => mark.getAttribute("aria-label"));
  };
  const report = () => {
    const charts = Object.fromEntries(CHART_IDS.map((id) => [id, marks(id)]));
    if (Object.values(charts).some((labels) => labels.length === 0)
        && Date.now() - started < 5000) {
      setTimeout(report, 100);
      return;
    }
    const record = document.createElement("pre");
    record.id = "chart-report";
    record.textContent = JSON.stringify({
      charts: charts,
      errors: window.scriptErrors,
      probeReached: window.probeReached === true,
      images: Array.from(document.images).map((image) => ({
        src: image.getAttribute("src"), loaded: image.complete && image.naturalWidth > 0})),
    });
    document.body.appendChild(record);
  };
  report();
});
</script>
"""


class ReportReader(html.parser.HTMLParser):
    """The text of <pre id="chart-report"> in a dumped DOM."""

    def __init__(self) -> None:
        super().__init__()
        self.report: str | None = None
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._inside = tag == "pre" and dict(attrs).get("id") == "chart-report"

    def handle_data(self, data: str) -> None:
        if self._inside:
            self.report = (self.report or "") + data


class ProbeHandler(http.server.BaseHTTPRequestHandler):
    """Answers every GET with a script that marks the page; counts the requests."""

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        self.server.requests += 1  # type: ignore[attr-defined]
        body = b"window.probeReached = true;"
        self.send_response(200)
        self.send_header("Content-Type", "text/javascript")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


def probe_url(server: http.server.HTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/probe.js"


def use_template(repo: Path, template: Path) -> None:
    """What the project's `.dvc/config` does: a template path relative to `.dvc/`."""
    shutil.copy2(template, repo / ".dvc" / "plots_page.html")
    run(["dvc", "config", "plots.html_template", "plots_page.html"], repo)


def chromium_dom(url: str, profile: Path, network: list[str]) -> str:
    """The DOM of `url` after load, from headless Chromium with the given network flags."""
    if CHROMIUM is None:
        # CI must not pass by skipping: .ci/run installs Debian's chromium before the tests.
        if os.environ.get("CI"):
            pytest.fail("no chromium on PATH in CI; .ci/run should have installed it")
        pytest.skip("no chromium on PATH (.ci/run installs Debian's chromium)")
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        *network,
        f"--user-data-dir={profile}",
        "--virtual-time-budget=15000",
        "--dump-dom",
        url,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"chromium exited {result.returncode}: {result.stderr[-2000:]}"
    return result.stdout


def chart_ids(page_text: str) -> list[str]:
    """The block of each Vega chart on DVC's page, as DVC's own embedding call names it."""
    return re.findall(r"vegaEmbed\('#([^']+)'", page_text)


def offline_report(index: Path, profile: Path, probe: str) -> dict[str, Any]:
    """The browser's record of `index` (a page DVC wrote), opened with the network blocked."""
    text = index.read_text(encoding="utf-8")
    injected = REPORT_SCRIPT.replace("CHART_IDS", json.dumps(chart_ids(text)))
    injected += f'<script src="{probe}"></script>\n'
    checked = index.with_name("checked.html")
    checked.write_text(text.replace("<head>", "<head>" + injected, 1), encoding="utf-8")
    reader = ReportReader()
    reader.feed(chromium_dom(checked.as_uri(), profile, BLOCK_NETWORK))
    assert reader.report is not None, "the page's load event never fired"
    return dict(json.loads(reader.report))


def drawn(report: dict[str, Any]) -> list[str]:
    return [chart for chart, marks in report["charts"].items() if marks]


def label_fields(label: str) -> dict[str, str]:
    """The fields of a mark's label, which Vega writes as 'epoch: 1; y: 0.9; field: accuracy'."""
    return dict(part.split(": ", 1) for part in label.split("; "))


def label_values(marks: list[str], field: str) -> set[str]:
    """Every value of `field` in the marks' labels (hover helpers leave it 'undefined')."""
    values = {label_fields(label).get(field) for label in marks}
    return {value for value in values if value not in (None, "undefined")}


def confusion_counts(marks: list[str]) -> dict[tuple[int, int], int]:
    """The count each cell of a confusion chart shows, keyed by (actual, predicted)."""
    cells = [label_fields(label) for label in marks]
    return {
        (int(cell["actual"]), int(cell["predicted"])): int(cell["xy_count"])
        for cell in cells
        if "xy_count" in cell
    }


def assert_images_loaded(report: dict[str, Any], count: int) -> None:
    assert len(report["images"]) == count
    assert all(image["loaded"] for image in report["images"]), report["images"]
