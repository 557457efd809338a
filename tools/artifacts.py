"""The trained models as DVC artifacts: dvc.yaml's `artifacts:` section, written from params.yaml.

DVC templates an artifact's values but cannot loop over params (no `foreach` for artifacts),
so this writes one entry per declared model, with its parameter count worked out from the
declared layers. `python -m tools.artifacts` (`make artifacts`) rewrites the section;
`--check` exits 1 if it is not current (tests/unit/test_artifacts.py runs that), so a newly
declared model cannot be forgotten there.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from mnist_cnn.layout import Layout
from mnist_cnn.params import Params, load_params
from mnist_cnn.params.layers import architecture_size

REPO_ROOT = Path(__file__).resolve().parents[1]
DVC_FILE = "dvc.yaml"
# The first line of the section; everything from it to the end of dvc.yaml is rewritten.
HEADING = "# The trained models as DVC artifacts (the model registry), one per declared model."
PREAMBLE = f"""{HEADING}
# Written by `make artifacts` from params.yaml; a test fails when it is not current.
# Download one: dvc artifacts get <repository URL or path> <model> [--rev <git ref>]
"""


def layer_summary(kinds: list[str]) -> str:
    """`conv2d x4, max_pool x2, flatten, dense x2`: each layer kind once, in first-use order."""
    counts = Counter(kinds)
    return ", ".join(kind if counts[kind] == 1 else f"{kind} x{counts[kind]}" for kind in counts)


def artifact_entries(params: Params) -> dict[str, dict[str, Any]]:
    """One DVC artifact per declared model: its .keras file, description, labels and counts."""
    layout = Layout(Path("."))
    entries = {}
    for name, model in params.models.items():
        weights, _ = architecture_size(model.layers, params.image_shape)
        kinds = [layer.kind for layer in model.layers]
        entries[name] = {
            "path": layout.model_file(name).as_posix(),
            "type": "model",
            "desc": (
                f"MNIST digit classifier {name} (Keras 3): {layer_summary(kinds)}; "
                f"{weights} parameters; written by the training stage for {name}"
            ),
            "labels": ["mnist", "cnn", f"model-{name}", f"params-{weights}"],
            "meta": {"parameters": weights, "layers": len(kinds), "epochs": model.epochs},
        }
    return entries


def section_text(params: Params) -> str:
    body = yaml.safe_dump(
        {"artifacts": artifact_entries(params)},
        sort_keys=False,
        default_flow_style=None,
        width=1000,
        allow_unicode=True,
    )
    return PREAMBLE + body


def with_section(dvc_yaml: str, section: str) -> str:
    """dvc.yaml's text with the artifacts section (always last) replaced or appended."""
    start = dvc_yaml.find(HEADING)
    kept = dvc_yaml if start < 0 else dvc_yaml[:start]
    return kept.rstrip("\n") + "\n\n" + section


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the section is not current; write nothing"
    )
    args = parser.parse_args(argv)
    path = REPO_ROOT / DVC_FILE
    current = path.read_text(encoding="utf-8")
    wanted = with_section(current, section_text(load_params(REPO_ROOT / "params.yaml")))
    if args.check:
        if wanted != current:
            sys.exit(f"{DVC_FILE}: the artifacts section is not current; run `make artifacts`")
        return
    if wanted != current:
        from mnist_cnn.files import write_text

        write_text(path, wanted)
        print(f"artifacts: rewrote the artifacts section of {DVC_FILE}")


if __name__ == "__main__":
    main()
