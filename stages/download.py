"""DVC stage download: the four MNIST files, checksum-verified, into data/raw."""

import argparse

from mnist_cnn.cli import run_stage
from mnist_cnn.pipeline import download


def main() -> None:
    argparse.ArgumentParser(prog="python -m stages.download", description=__doc__).parse_args()
    run_stage(download.run)


if __name__ == "__main__":
    main()
