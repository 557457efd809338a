"""DVC stage split: the notebook's 90/10 train/validation split into data/split."""

import argparse

from mnist_cnn.cli import run_stage
from mnist_cnn.quiet import quiet_tensorflow


def main() -> None:
    quiet_tensorflow()
    from mnist_cnn.pipeline import split  # after the filter: TensorFlow prints as it loads

    argparse.ArgumentParser(prog="python -m stages.split", description=__doc__).parse_args()
    run_stage(split.run)


if __name__ == "__main__":
    main()
