"""DVC stage evaluate: every model on the test set; metrics, plots and report.md."""

import argparse

from mnist_cnn.cli import run_stage
from mnist_cnn.pipeline import evaluate


def main() -> None:
    argparse.ArgumentParser(prog="python -m stages.evaluate", description=__doc__).parse_args()
    run_stage(evaluate.run)


if __name__ == "__main__":
    main()
