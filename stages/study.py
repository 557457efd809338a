"""DVC stages of study/dvc.yaml: seeds, crossval, l2_fit (many trainings) and report."""

import argparse

from mnist_cnn.cli import run_stage
from mnist_cnn.quiet import quiet_tensorflow


def main() -> None:
    quiet_tensorflow()
    from mnist_cnn.pipeline import study  # after the filter: TensorFlow prints as it loads

    parser = argparse.ArgumentParser(prog="python -m stages.study", description=__doc__)
    parser.add_argument("part", choices=sorted(study.PARTS_OF_THE_STUDY))
    arguments = parser.parse_args()
    run_stage(study.PARTS_OF_THE_STUDY[arguments.part])


if __name__ == "__main__":
    main()
