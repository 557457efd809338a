"""The offline page template for `dvc plots show`: version choice and what the page holds."""

from __future__ import annotations

import pytest

from mnist_cnn.plots_page import newest_vega_lite, page_template

BUNDLE = "window.vegaEmbed = function () {};"


def test_newest_vega_lite_compares_versions_as_numbers():
    assert newest_vega_lite(["5.8", "5.21", "5.9", "6.4"]) == "5.21"


def test_newest_vega_lite_without_the_major_version_names_what_is_there():
    with pytest.raises(
        ValueError, match=r"no Vega-Lite 5\.x among the bundled versions \['6\.1'\]"
    ):
        newest_vega_lite(["6.1"])


def test_the_page_has_dvc_markers_once_and_the_bundle_inline():
    page = page_template(BUNDLE)
    assert page.count("{plot_divs}") == 1 and page.count("{refresh_tag}") == 1
    # DVC would put its CDN <script> tags where {scripts} stands.
    assert "{scripts}" not in page and "src=" not in page
    assert page.index("<script>") < page.index(BUNDLE) < page.index("</script>")
    assert page.index("</head>") < page.index("{plot_divs}")


@pytest.mark.parametrize(
    "bad", ["x = '</script>';", "x = '</SCRIPT '", "<!-- x", "s = '{plot_divs}'"]
)
def test_a_bundle_that_would_break_the_page_is_refused(bad):
    with pytest.raises(ValueError, match="bundle"):
        page_template(BUNDLE + bad)


def test_the_template_is_written_atomically_and_whole(offline_template):
    """What `make setup` writes, by the module's command line (conftest's offline_template)."""
    text = offline_template.read_text(encoding="utf-8")
    assert text.count("{plot_divs}") == 1 and text.count("{refresh_tag}") == 1
    assert "{scripts}" not in text
    assert text.rstrip().endswith("</html>")
    assert [entry.name for entry in offline_template.parent.iterdir()] == ["plots_page.html"]
    assert all(name in text for name in ("window.vegaEmbed=", "window.vegaLite=", "window.vega="))
