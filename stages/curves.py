"""DVC stage curves: PNG training curves and ours beside the notebook's numbers."""

import argparse

from mnist_cnn.cli import run_stage
from mnist_cnn.quiet import quiet_tensorflow


def main() -> None:
    quiet_tensorflow()
    from mnist_cnn.pipeline import curves  # after the filter: TensorFlow prints as it loads

    argparse.ArgumentParser(prog="python -m stages.curves", description=__doc__).parse_args()
    run_stage(curves.run)


if __name__ == "__main__":
    main()
