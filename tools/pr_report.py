"""A pull request's report: what its params, metrics and plots change against the base branch.

`python -m tools.pr_report --base main` (`make pr-report BASE=main`) compares the workspace with
the base git revision and writes one Markdown file: `dvc params diff` and `dvc metrics diff` as
tables, then each plot whose data differs, drawn as a PNG beside the report (vl-convert renders
DVC's Vega-Lite charts; picture plots are copied as they are). The pull-request workflow
(.github/workflows/pr-report.yml) posts that file as a comment; docs/pull-requests.md.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mnist_cnn.files import write_bytes, write_text

WORKSPACE = "workspace"  # what DVC calls the checked-out files in its diffs
EXIT_FAILED = 2


class ReportError(Exception):
    """A DVC command the report needs failed; the message is one line."""


def dvc(arguments: list[str], cwd: Path) -> str:
    """The standard output of `dvc <arguments>`, or a ReportError with its first error line."""
    command = [sys.executable, "-m", "dvc", *arguments]
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        reason = lines[0] if lines else f"exit code {done.returncode}"
        raise ReportError(f"`dvc {' '.join(arguments)}` failed: {reason}")
    return done.stdout


@dataclass(frozen=True)
class Plot:
    """One changed plot: its file, and the pictures (relative to the report) that show it."""

    name: str
    pictures: tuple[tuple[str, str], ...]  # (caption, path)


def picture_name(plot: str, revision: str) -> str:
    """`main_plots_history_A_csv.png` for plots/history/A.csv at main."""
    return re.sub(r"[^A-Za-z0-9-]+", "_", f"{revision}_{plot}") + ".png"


def rows_by_revision(content: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """A filled Vega-Lite chart's data rows, grouped by the revision each came from."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for row in content.get("data", {}).get("values", []):
        values = {key: value for key, value in row.items() if key != "rev"}
        rows.setdefault(str(row.get("rev")), []).append(values)
    return rows


def changed_vega(content: dict[str, Any], base: str) -> bool:
    rows = rows_by_revision(content)
    return rows.get(WORKSPACE) != rows.get(base)


def draw_plots(plots: dict[str, Any], base: str, folder: Path, relative: str) -> list[Plot]:
    """Each plot whose data differs between the base and the workspace, written as PNGs."""
    import vl_convert  # the project's chart renderer; imported only when there is a chart

    changed = []
    for name, entries in sorted(plots.items()):
        vega = [entry for entry in entries if entry["type"] == "vega"]
        images = {entry["revisions"][0]: Path(entry["url"]) for entry in entries if "url" in entry}
        pictures: list[tuple[str, str]] = []
        for entry in vega:
            if changed_vega(entry["content"], base):
                target = picture_name(name, "diff")
                write_bytes(folder / target, vl_convert.vegalite_to_png(entry["content"], scale=1))
                pictures.append((f"{base} and this branch", f"{relative}/{target}"))
        if images and _images_differ(images, base):
            for revision in (base, WORKSPACE):
                if revision in images:
                    target = picture_name(name, revision)
                    write_bytes(folder / target, images[revision].read_bytes())
                    caption = "this branch" if revision == WORKSPACE else revision
                    pictures.append((caption, f"{relative}/{target}"))
        if pictures:
            changed.append(Plot(name, tuple(pictures)))
    return changed


def _images_differ(images: dict[str, Path], base: str) -> bool:
    if set(images) != {base, WORKSPACE}:
        return True  # added or removed
    return images[base].read_bytes() != images[WORKSPACE].read_bytes()


def plot_section(plots: list[Plot], plots_link: str | None) -> str:
    """Each changed plot's pictures side by side; with `plots_link`, a link there per plot
    instead (a host that cannot show the pictures inline keeps them elsewhere)."""
    if not plots:
        return "No plot changed.\n"
    parts = []
    for plot in plots:
        if plots_link is not None:
            files = ", ".join(f"`{Path(path).name}`" for _, path in plot.pictures)
            parts.append(f"### {plot.name}\n\nPictures {files}: [download]({plots_link})\n")
            continue
        # One table row of pictures under their captions: base and branch side by side.
        captions = " | ".join(caption for caption, _ in plot.pictures)
        rule = " | ".join("---" for _ in plot.pictures)
        cells = " | ".join(f"![{plot.name}: {caption}]({path})" for caption, path in plot.pictures)
        parts.append(f"### {plot.name}\n\n| {captions} |\n| {rule} |\n| {cells} |\n")
    return "\n".join(parts)


def table_or_none(markdown: str, nothing: str) -> str:
    """DVC's Markdown table, or `nothing` when it has no rows (DVC may print the header alone)."""
    rows = [line for line in markdown.splitlines() if line.startswith("|")]
    return markdown.strip() + "\n" if len(rows) > 2 else nothing + "\n"


def build_report(repo: Path, base: str, output: Path, plots_link: str | None = None) -> str:
    """The report's Markdown; changed plots are drawn into a folder beside `output`."""
    params = dvc(["params", "diff", base, "--md"], repo)
    metrics = dvc(["metrics", "diff", base, "--md"], repo)
    folder = output.parent / f"{output.stem}-plots"
    # The pictures of an earlier report would otherwise be published with this one.
    shutil.rmtree(folder, ignore_errors=True)
    with tempfile.TemporaryDirectory() as scratch:
        rendered = json.loads(dvc(["plots", "diff", base, "--json", "-o", scratch], repo))
        if rendered.get("errors"):
            raise ReportError(f"`dvc plots diff {base}` reported errors: {rendered['errors']}")
        plots = draw_plots(rendered.get("data", {}), base, folder, folder.name)
    return (
        f"# What this branch changes against {base}\n\n"
        "Produced by `make pr-report` (tools/pr_report.py) with DVC's own diffs.\n\n"
        f"## Params\n\n{table_or_none(params, 'No param changed.')}\n"
        f"## Metrics\n\n{table_or_none(metrics, 'No metric changed.')}\n"
        f"## Plots\n\n{plot_section(plots, plots_link)}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the git revision to compare with (main)")
    parser.add_argument(
        "--out", type=Path, default=Path("pr-report.md"), help="the Markdown file to write"
    )
    parser.add_argument(
        "--plots-link",
        metavar="URL",
        help="link each changed plot to URL (where the pictures are kept) instead of inlining it",
    )
    args = parser.parse_args(argv)
    try:
        report = build_report(Path.cwd(), args.base, args.out.resolve(), args.plots_link)
    except ReportError as error:
        print(f"pr-report: {error}", file=sys.stderr)
        raise SystemExit(EXIT_FAILED) from None
    write_text(args.out, report)
    print(f"pr-report: wrote {args.out}")


if __name__ == "__main__":
    main()
