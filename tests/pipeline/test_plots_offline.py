"""`dvc plots show` and `dvc plots diff` draw their charts in a browser that has no network.

A throw-away git + DVC repository holds three plots of its own: a line chart (template
`linear`), a confusion matrix (template `confusion`) and a PNG image. DVC writes its page
twice, once with its default page and once with the page `python -m mnist_cnn.plots_page`
generates (set as `plots.html_template`, as the project's `.dvc/config` does). Headless
Chromium opens each page with every request blocked: host names do not resolve and every
connection, loopback included, is sent to a proxy on a closed port. A script put into a copy of
the page records, after the load event, the data marks Vega drew into each chart's block, the
page's script errors and which images loaded; the dumped DOM carries that record back.

A loopback HTTP server is the witness that the block holds: each checked page also asks it for
a script, which must never arrive (the same request does arrive from an unblocked browser,
which loads only a tiny page that asks for nothing else).
"""

from __future__ import annotations

import html.parser
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.helpers import REPO_ROOT, run

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BLOCK_NETWORK = [
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=127.0.0.1:9",
    # Chromium never proxies loopback addresses unless told to; then they are blocked too.
    "--proxy-bypass-list=<-loopback>",
]
HISTORY_CSV = "epoch,accuracy,val_accuracy\n1,0.90,0.88\n2,0.95,0.93\n3,0.97,0.94\n"
# (actual, predicted) pairs of the confusion plot, and how many rows each has.
CONFUSION_COUNTS = {(0, 0): 5, (0, 1): 1, (1, 1): 4, (2, 0): 2, (2, 2): 3}
DVC_YAML = """\
plots:
  - Accuracy:
      template: linear
      x: epoch
      y:
        plots/history.csv: [accuracy, val_accuracy]
  - Confusion:
      template: confusion
      x: actual
      y:
        plots/confusion.csv: predicted
  - plots/digit.png
"""
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
PROBE_PAGE = '<html><head><script src="{url}"></script></head><body></body></html>'


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


@pytest.fixture
def probe_server() -> Iterator[http.server.HTTPServer]:
    server = http.server.HTTPServer(("127.0.0.1", 0), ProbeHandler)
    server.requests = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def probe_url(server: http.server.HTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/probe.js"


@pytest.fixture(scope="module")
def offline_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The page template, written by the module's command line as `make setup` runs it."""
    target = tmp_path_factory.mktemp("template") / "plots_page.html"
    run([sys.executable, "-m", "mnist_cnn.plots_page", str(target)], REPO_ROOT)
    return target


@pytest.fixture
def plots_repo(tmp_path: Path) -> Path:
    """A git + DVC repository with a line chart, a confusion matrix and an image plot."""
    repo = tmp_path / "repo"
    (repo / "plots").mkdir(parents=True)
    (repo / "plots" / "history.csv").write_text(HISTORY_CSV)
    rows = [
        f"{actual},{predicted}\n"
        for (actual, predicted), count in CONFUSION_COUNTS.items()
        for _ in range(count)
    ]
    (repo / "plots" / "confusion.csv").write_text("actual,predicted\n" + "".join(rows))
    Image.new("RGB", (120, 80), (200, 40, 40)).save(repo / "plots" / "digit.png")
    (repo / "dvc.yaml").write_text(DVC_YAML)
    run(["git", "init", "-q", "-b", "main"], repo)
    run(["git", "config", "user.email", "tests@example.invalid"], repo)
    run(["git", "config", "user.name", "tests"], repo)
    run(["dvc", "init", "-q"], repo)
    run(["dvc", "config", "core.analytics", "false"], repo)
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", "plots"], repo)
    return repo


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


def test_the_probe_shows_an_unblocked_browser_reaching_loopback(probe_server, tmp_path):
    page = tmp_path / "probe.html"
    page.write_text(PROBE_PAGE.format(url=probe_url(probe_server)))
    chromium_dom(page.as_uri(), tmp_path / "profile", network=[])
    assert probe_server.requests == 1


def test_dvc_default_page_draws_no_chart_offline(plots_repo, probe_server, tmp_path):
    run(["dvc", "plots", "show", "--out", "shown"], plots_repo)
    index = plots_repo / "shown" / "index.html"
    assert "cdn.jsdelivr.net" in index.read_text()

    report = offline_report(index, tmp_path / "profile", probe_url(probe_server))

    assert sorted(report["charts"]) == ["Accuracy", "Confusion"]
    assert drawn(report) == []
    assert any("vegaEmbed is not defined" in error for error in report["errors"])
    assert_images_loaded(report, 1)
    assert not report["probeReached"] and probe_server.requests == 0


def test_offline_page_draws_every_chart_of_dvc_plots_show(
    plots_repo, offline_template, probe_server, tmp_path
):
    use_template(plots_repo, offline_template)
    run(["dvc", "plots", "show", "--out", "shown"], plots_repo)
    index = plots_repo / "shown" / "index.html"
    assert not re.search(r"<script[^>]+src=", index.read_text())

    report = offline_report(index, tmp_path / "profile", probe_url(probe_server))

    assert report["errors"] == []
    assert drawn(report) == ["Accuracy", "Confusion"]
    # The data reached the drawing: a line for each column, and every confusion count.
    assert label_values(report["charts"]["Accuracy"], "field") == {"accuracy", "val_accuracy"}
    # DVC's confusion template draws every cell of the 3 x 3 grid; a pair with no rows shows 0.
    grid = {(actual, predicted): 0 for actual in range(3) for predicted in range(3)}
    assert confusion_counts(report["charts"]["Confusion"]) == grid | CONFUSION_COUNTS
    assert_images_loaded(report, 1)
    assert not report["probeReached"] and probe_server.requests == 0


def test_offline_page_draws_every_chart_of_dvc_plots_diff(
    plots_repo, offline_template, probe_server, tmp_path
):
    use_template(plots_repo, offline_template)
    history = plots_repo / "plots" / "history.csv"
    history.write_text(HISTORY_CSV + "4,0.98,0.95\n")
    run(["dvc", "plots", "diff", "HEAD", "--out", "diffed"], plots_repo)

    report = offline_report(
        plots_repo / "diffed" / "index.html", tmp_path / "profile", probe_url(probe_server)
    )

    assert report["errors"] == []
    assert drawn(report) == ["Accuracy", "Confusion"]
    assert label_values(report["charts"]["Accuracy"], "rev") == {"HEAD", "workspace"}
    assert_images_loaded(report, 2)
    assert not report["probeReached"] and probe_server.requests == 0


def test_a_missing_template_stops_dvc_with_its_placeholder_error(plots_repo, tmp_path):
    """Why `make setup` must write the page: DVC reads a missing path as the template text."""
    run(["dvc", "config", "plots.html_template", "plots_page.html"], plots_repo)
    result = run(["dvc", "plots", "show", "--out", "shown"], plots_repo, check=False)
    assert result.returncode != 0
    assert "HTML template has to contain '{plot_divs}'" in result.stderr + result.stdout


def test_the_template_is_written_atomically_and_whole(offline_template):
    text = offline_template.read_text(encoding="utf-8")
    assert text.count("{plot_divs}") == 1 and text.count("{refresh_tag}") == 1
    assert "{scripts}" not in text
    assert text.rstrip().endswith("</html>")
    assert [entry.name for entry in offline_template.parent.iterdir()] == ["plots_page.html"]
    assert all(name in text for name in ("window.vegaEmbed=", "window.vegaLite=", "window.vega="))
