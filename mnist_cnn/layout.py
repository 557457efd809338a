"""Where every file of the project lives: the one place that names a path.

Paths are relative to the repository root, which a `Layout` is given, so code and tests never
depend on the working directory. dvc.yaml declares the same paths to DVC;
tests/unit/test_layout.py checks that the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# The three parts of the prepared data: fitting, model selection, the final check.
PARTS = ("train", "val", "test")


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def params_file(self) -> Path:
        return self.root / "params.yaml"

    @property
    def params_checked(self) -> Path:
        """The marker the check_params stage writes once params.yaml passed validation."""
        return self.root / "data" / "params_checked.txt"

    @property
    def raw_dir(self) -> Path:
        """The four MNIST IDX files, decompressed and checksum-verified."""
        return self.root / "data" / "raw"

    @property
    def split_dir(self) -> Path:
        return self.root / "data" / "split"

    def split_part(self, part: str) -> Path:
        return self.split_dir / f"{part}.npz"

    @property
    def prepared_dir(self) -> Path:
        return self.root / "data" / "prepared"

    def prepared_part(self, part: str) -> Path:
        return self.prepared_dir / f"{part}.npz"

    @property
    def models_dir(self) -> Path:
        return self.root / "data" / "models"

    def model_file(self, name: str) -> Path:
        return self.models_dir / f"{name}.keras"

    @property
    def train_metrics_dir(self) -> Path:
        return self.root / "metrics" / "train"

    def train_metrics(self, name: str) -> Path:
        return self.train_metrics_dir / f"{name}.json"

    def summary(self, name: str) -> Path:
        return self.train_metrics_dir / f"{name}.summary.txt"

    @property
    def history_dir(self) -> Path:
        return self.root / "plots" / "history"

    def history(self, name: str) -> Path:
        return self.history_dir / f"{name}.csv"

    @property
    def evaluate_metrics(self) -> Path:
        """The evaluation in detail: committed, diffable, but not a DVC metric."""
        return self.root / "metrics" / "evaluate.json"

    @property
    def headline_dir(self) -> Path:
        """The DVC metrics of the pipeline: one file of headline numbers per model."""
        return self.root / "metrics" / "models"

    def headline(self, name: str) -> Path:
        return self.headline_dir / f"{name}.json"

    @property
    def report(self) -> Path:
        return self.root / "report.md"

    def confusion(self, name: str) -> Path:
        return self.root / "plots" / "confusion" / f"{name}.csv"

    def misclassified(self, name: str) -> Path:
        return self.root / "plots" / "misclassified" / f"{name}.png"

    @property
    def curves_dir(self) -> Path:
        return self.root / "plots" / "curves"

    @property
    def diagrams_dir(self) -> Path:
        """Each network drawn with its shapes, as the notebook's plot_model did."""
        return self.root / "plots" / "diagrams"

    @property
    def fidelity_dir(self) -> Path:
        """Our per-epoch validation numbers beside the notebook's, for the models it trained."""
        return self.root / "plots" / "fidelity"

    def fidelity(self, name: str) -> Path:
        return self.fidelity_dir / f"{name}.csv"

    @property
    def notebook_history(self) -> Path:
        """The notebook's printed per-epoch numbers: reference data, committed, never written."""
        return self.root / "reference" / "notebook_history.csv"

    @property
    def notebook_results(self) -> Path:
        """The test-set figures the notebook printed: reference data, committed."""
        return self.root / "reference" / "notebook_results.csv"

    # The study: a second pipeline (study/dvc.yaml) over the same prepared data.
    @property
    def study_dir(self) -> Path:
        return self.root / "study"

    def study_metrics(self, part: str) -> Path:
        """The headline files of `seeds`, `crossval` or `l2_fit` (mnist_cnn/study/headline.py)."""
        return self.study_dir / "metrics" / part

    def study_runs(self, part: str) -> Path:
        """One record per training of `part`, committed: what its summaries are made from."""
        return self.study_dir / "runs" / part

    def study_details(self, part: str) -> Path:
        """The detail behind `study_metrics(part)`: committed, diffable, not printed as metrics."""
        return self.study_dir / "reports" / f"{part}.json"

    @property
    def study_seed_rows(self) -> Path:
        """Every run's accuracies, one row per model and seed: the strip plot's data."""
        return self.study_dir / "plots" / "seeds.csv"

    @property
    def study_l2_curves_dir(self) -> Path:
        """Per L2 candidate, its mean validation curves beside the notebook's."""
        return self.study_dir / "plots" / "l2_fit"

    @property
    def study_pictures_dir(self) -> Path:
        return self.study_dir / "plots" / "pictures"

    def study_picture(self, part: str) -> Path:
        return self.study_pictures_dir / f"{part}.png"

    @property
    def study_report(self) -> Path:
        return self.study_dir / "report.md"

    def live_dir(self, name: str) -> Path:
        """dvclive's files of one model's training, written after every epoch."""
        return self.root / "dvclive" / name

    def resume_dir(self, resume_root: str, name: str) -> Path:
        return self.root / resume_root / name
