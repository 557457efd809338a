"""Stage `train@<model>`: train one declared model, resumably, and write its four outputs."""

from __future__ import annotations

import sys

import keras
import numpy as np

from mnist_cnn import files, history
from mnist_cnn.layout import Layout
from mnist_cnn.models import save_model_file, summary_text
from mnist_cnn.params import Params
from mnist_cnn.training.engines import trainer
from mnist_cnn.training.live_log import LiveEpochLog
from mnist_cnn.training.loop import Split, Trained, TrainingJob
from mnist_cnn.training.progress import ProgressLine
from mnist_cnn.training.resume import ResumeState, fingerprint
from mnist_cnn.training.runtime import set_up_runtime

FITTING_PARTS = ("train", "val")


def train_metrics(rows: history.History, num_params: int) -> dict[str, object]:
    """The metrics of the last epoch, as the notebook reported them, plus where val peaked."""
    last = rows[-1]
    best = int(np.argmax([row["val_accuracy"] for row in rows]))
    return {
        "train": {"accuracy": last["accuracy"], "loss": last["loss"]},
        "val": {
            "accuracy": last["val_accuracy"],
            "loss": last["val_loss"],
            "best_accuracy": rows[best]["val_accuracy"],
            "best_epoch": best + 1,
        },
        "epochs_run": len(rows),
        "num_params": num_params,
    }


def load_split(layout: Layout, part: str) -> Split:
    arrays = files.read_npz(layout.prepared_part(part), ("images", "one_hot"))
    return Split(images=arrays["images"], one_hot=arrays["one_hot"])


def run_fingerprint(job: TrainingJob, layout: Layout) -> str:
    """What a resume point must match: the job, the data it fits and the software computing it."""
    return fingerprint(
        job=job,
        data=[files.sha256_file(layout.prepared_part(part)) for part in FITTING_PARTS],
        keras=keras.__version__,
        backend=keras.backend.backend(),
    )


def write_outputs(layout: Layout, name: str, trained: Trained) -> None:
    """The model, its summary, its curves and its metrics: all four appear, or none does."""
    model_path = layout.model_file(name)
    summary_path = layout.summary(name)
    history_path = layout.history(name)
    metrics_path = layout.train_metrics(name)
    with files.all_or_nothing(model_path, summary_path, history_path, metrics_path):
        save_model_file(trained.model, model_path)
        files.write_text(summary_path, summary_text(trained.model))
        files.write_text(history_path, history.to_csv(trained.history))
        files.write_json(metrics_path, train_metrics(trained.history, trained.model.count_params()))


def run(layout: Layout, params: Params, model: str) -> None:
    job = TrainingJob.declared(params, model)
    set_up_runtime(job.seed, job.settings)
    train_job = trainer(job.settings.engine)
    train, val = (load_split(layout, part) for part in FITTING_PARTS)
    resume = ResumeState(
        layout.resume_dir(params.runtime.resume_dir, model), run_fingerprint(job, layout)
    )
    with LiveEpochLog(layout.live_dir(model)) as live_log:
        trained = train_job(
            job,
            train=train,
            val=val,
            steps_per_execution=params.runtime.steps_per_execution,
            resume=resume.load,
            callbacks=[
                resume.callback(),
                live_log.callback(lambda: resume.history),
                ProgressLine(model, job.model.epochs),
            ],
            verbose=1 if sys.stdout.isatty() else 0,
        )
        # A run resumed after its last epoch trains no epoch, yet its live files are rewritten.
        live_log.log(trained.history)
    write_outputs(layout, model, trained)
    resume.clear()
