"""DVC stage curves: PNG training curves and ours beside the notebook's numbers."""

import argparse

from mnist_cnn.cli import run_stage
from mnist_cnn.pipeline import curves


def main() -> None:
    argparse.ArgumentParser(prog="python -m stages.curves", description=__doc__).parse_args()
    run_stage(curves.run)


if __name__ == "__main__":
    main()
