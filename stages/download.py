"""DVC stage download: the four MNIST files, checksum-verified, into data/raw."""

import argparse

from mnist_cnn.cli import run_stage
from mnist_cnn.quiet import quiet_tensorflow


def main() -> None:
    quiet_tensorflow()
    from mnist_cnn.pipeline import download  # after the filter: TensorFlow prints as it loads

    argparse.ArgumentParser(prog="python -m stages.download", description=__doc__).parse_args()
    run_stage(download.run)


if __name__ == "__main__":
    main()
