"""DVC stage crossval: stratified k-fold cross-validation of crossval.models."""

import argparse

from mnist_cnn.cli import run_stage
from mnist_cnn.pipeline import crossval


def main() -> None:
    argparse.ArgumentParser(prog="python -m stages.crossval", description=__doc__).parse_args()
    run_stage(crossval.run)


if __name__ == "__main__":
    main()
