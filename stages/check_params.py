"""DVC stage check_params: validate the whole params.yaml before any stage deletes outputs."""

import argparse

from mnist_cnn.cli import run_stage
from mnist_cnn.pipeline import check_params


def main() -> None:
    argparse.ArgumentParser(prog="python -m stages.check_params", description=__doc__).parse_args()
    run_stage(check_params.run)


if __name__ == "__main__":
    main()
