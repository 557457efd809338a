"""The page `dvc plots show` and `dvc plots diff` fill in, with the chart libraries inside it.

DVC's own page loads Vega, Vega-Lite and vega-embed from a CDN, so on a machine without
internet every chart on it stays blank. This page carries the three libraries inline (the
self-contained bundle vl-convert ships), so the charts draw offline too. `.dvc/config` points
DVC at it (`plots.html_template`, a path relative to `.dvc/`). DVC replaces `{plot_divs}`
(which it requires) with one block per plot and `{refresh_tag}` with a reload tag or nothing;
`{scripts}`, where DVC would put its CDN <script> tags, is left out on purpose, so the page
never asks the network for anything.

Usage: python -m mnist_cnn.plots_page PATH   (`make setup` writes .dvc/plots_page.html)
"""

from __future__ import annotations

import sys
from pathlib import Path

import vl_convert

from mnist_cnn import files

# DVC's chart templates (linear, confusion, scatter, ...) declare Vega-Lite 5 specs.
VEGA_LITE_MAJOR = "5"
# The names DVC's chart blocks call; the bundle's snippet puts them on `window`.
EXPORT_SNIPPET = "window.vegaEmbed = vegaEmbed; window.vegaLite = vegaLite; window.vega = vega;"
# The markers DVC replaces in the page, wherever they stand, bundle included.
DVC_PLACEHOLDERS = ("{plot_divs}", "{refresh_tag}", "{scripts}")

PAGE_HEAD = """<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
{refresh_tag}
<title>DVC plots</title>
<style>
  body { font-family: sans-serif; }
  table { border-spacing: 15px; }
</style>
<script>
(function () {
"""
PAGE_TAIL = """
})();
</script>
</head>
<body>
{plot_divs}
</body>
</html>
"""


def newest_vega_lite(versions: list[str], major: str = VEGA_LITE_MAJOR) -> str:
    """The newest of `versions` ("5.21", "6.4", ...) with the given major version."""
    candidates = [version for version in versions if version.split(".")[0] == major]
    if not candidates:
        raise ValueError(
            f"no Vega-Lite {major}.x among the bundled versions {versions}; "
            "install a vl-convert-python that ships one"
        )
    return max(candidates, key=lambda version: tuple(int(part) for part in version.split(".")))


def page_template(bundle: str) -> str:
    """The page text: DVC's two markers around an inline <script> holding `bundle`.

    The bundle runs inside a function, so its own top-level names stay out of the page's
    global scope, where each of DVC's chart blocks declares `var spec`.
    Raises ValueError if the bundle would end its <script> element early or holds a text that
    DVC would replace.
    """
    if "</script" in bundle.lower() or "<!--" in bundle:
        raise ValueError("the JavaScript bundle contains '</script' or '<!--': cannot inline it")
    found = [marker for marker in DVC_PLACEHOLDERS if marker in bundle]
    if found:
        raise ValueError(f"the JavaScript bundle contains DVC's page markers {found}")
    return PAGE_HEAD + bundle + PAGE_TAIL


def main(target: Path) -> None:
    version = newest_vega_lite(list(vl_convert.get_vegalite_versions()))
    bundle = vl_convert.javascript_bundle(EXPORT_SNIPPET, vl_version=version)
    files.write_text(target, page_template(bundle))


def cli() -> None:
    if len(sys.argv) != 2:
        print("usage: python -m mnist_cnn.plots_page PATH", file=sys.stderr)
        raise SystemExit(2)
    main(Path(sys.argv[1]))


if __name__ == "__main__":
    cli()
