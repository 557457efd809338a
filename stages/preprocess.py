"""DVC stage preprocess: model-ready arrays of every part into data/prepared."""

import argparse

from mnist_cnn.cli import run_stage
from mnist_cnn.pipeline import preprocess


def main() -> None:
    argparse.ArgumentParser(prog="python -m stages.preprocess", description=__doc__).parse_args()
    run_stage(preprocess.run)


if __name__ == "__main__":
    main()
