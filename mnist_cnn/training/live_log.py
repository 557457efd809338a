"""Per-epoch metrics that `dvc exp show` can read while a model is still training (dvclive).

One folder per model (`Layout.live_dir`: `dvclive/<model>/`), written through dvclive's `Live`
API:
- `metrics.json`: the last finished epoch, under the keys of metrics/train/<model>.json
  (`train.accuracy`, `train.loss`, `val.accuracy`, `val.loss`) plus dvclive's `step`, which is
  the epoch number;
- `plots/metrics/{train,val}/{accuracy,loss}.tsv`: one `step<TAB>value` row per epoch.
No timestamps, so the same numbers give the same bytes.

dvclive's side effects that would reach beyond that folder are turned off here: it would write
or rewrite dvc.yaml (`dvcyaml=False`) and, when the stage runs outside DVC, save a DVC
experiment, which creates a git ref (`save_dvc_exp=False`). Studio is off through
`studio.offline` in `.dvc/config`. Keras' own dvclive callback is not used: it ends the run at
the end of every `fit`, and the training loop calls `fit` once per epoch.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import keras
from dvclive import Live

from mnist_cnn.history import History

# History column -> dvclive name; dvclive nests on "/", so "train/accuracy" is train.accuracy.
LIVE_METRICS = {
    "accuracy": "train/accuracy",
    "loss": "train/loss",
    "val_accuracy": "val/accuracy",
    "val_loss": "val/loss",
}


class LiveEpochLog:
    """Writes each finished epoch of a training history to one dvclive folder.

    `log(history)` writes the epochs not written yet, so it can be called after every epoch and
    once more at the end; a resumed run replays the epochs it resumed from, because `Live`
    empties the folder when it starts.
    """

    def __init__(self, directory: Path) -> None:
        self._live = Live(
            dir=str(directory),
            dvcyaml=False,
            save_dvc_exp=False,
            report=None,
            monitor_system=False,
        )
        self._logged = 0

    def log(self, history: History) -> None:
        for row in history[self._logged :]:
            self._live.step = int(row["epoch"])
            for column, name in LIVE_METRICS.items():
                self._live.log_metric(name, float(row[column]))
            self._live.next_step()
        self._logged = len(history)

    def callback(self, history: Callable[[], History]) -> keras.callbacks.Callback:
        """A Keras callback that logs `history()` (the run's history so far) after each epoch."""
        return _LogEpochs(self, history)

    def __enter__(self) -> LiveEpochLog:
        return self

    def __exit__(
        self,
        error_type: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._live.end()


class _LogEpochs(keras.callbacks.Callback):
    def __init__(self, live_log: LiveEpochLog, history: Callable[[], History]) -> None:
        super().__init__()
        self.live_log = live_log
        self.history = history

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        self.live_log.log(self.history())
