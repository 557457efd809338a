"""DVC stage check_params: validate the whole params.yaml before any stage deletes outputs."""

import argparse

from mnist_cnn.cli import run_stage
from mnist_cnn.quiet import quiet_tensorflow


def main() -> None:
    quiet_tensorflow()
    from mnist_cnn.pipeline import check_params  # after the filter: TensorFlow prints as it loads

    argparse.ArgumentParser(prog="python -m stages.check_params", description=__doc__).parse_args()
    run_stage(check_params.run)


if __name__ == "__main__":
    main()
