"""DVC stages train@<model>: train one model declared in params.yaml, resumably."""

import argparse

from mnist_cnn.cli import run_stage
from mnist_cnn.quiet import quiet_tensorflow


def main() -> None:
    quiet_tensorflow()
    from mnist_cnn.pipeline import train  # after the filter: TensorFlow prints as it loads

    parser = argparse.ArgumentParser(prog="python -m stages.train", description=__doc__)
    parser.add_argument("model", help="a key of models: in params.yaml, e.g. B_adj")
    arguments = parser.parse_args()
    run_stage(train.run, model=arguments.model)


if __name__ == "__main__":
    main()
