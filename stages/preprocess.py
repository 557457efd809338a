"""DVC stage preprocess: model-ready arrays of every part into data/prepared."""

import argparse

from mnist_cnn.cli import run_stage
from mnist_cnn.quiet import quiet_tensorflow


def main() -> None:
    quiet_tensorflow()
    from mnist_cnn.pipeline import preprocess  # after the filter: TensorFlow prints as it loads

    argparse.ArgumentParser(prog="python -m stages.preprocess", description=__doc__).parse_args()
    run_stage(preprocess.run)


if __name__ == "__main__":
    main()
