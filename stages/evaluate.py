"""DVC stage evaluate: every model on the test set; metrics, plots and report.md."""

import argparse

from mnist_cnn.cli import run_stage
from mnist_cnn.quiet import quiet_tensorflow


def main() -> None:
    quiet_tensorflow()
    from mnist_cnn.pipeline import evaluate  # after the filter: TensorFlow prints as it loads

    argparse.ArgumentParser(prog="python -m stages.evaluate", description=__doc__).parse_args()
    run_stage(evaluate.run)


if __name__ == "__main__":
    main()
