"""The per-epoch history CSV: one writer, one reader, and the notebook's reference numbers."""

import pytest

from mnist_cnn import history
from mnist_cnn.errors import DataError
from tests.helpers import REPO_ROOT

ROWS = [
    {
        "epoch": 1,
        "accuracy": 0.9388518333435059,
        "loss": 0.194840207695961,
        "val_accuracy": 0.9695000052452087,
        "val_loss": 0.0960792675614357,
    },
    {"epoch": 2, "accuracy": 0.97, "loss": 0.1, "val_accuracy": 0.98, "val_loss": 0.05},
]


def test_written_history_reads_back_exactly(tmp_path):
    path = tmp_path / "A.csv"
    path.write_text(history.to_csv(ROWS))
    assert path.read_text().splitlines()[:2] == [
        "epoch,accuracy,loss,val_accuracy,val_loss",
        "1,0.9388518333435059,0.194840207695961,0.9695000052452087,0.0960792675614357",
    ]
    assert history.read(path) == ROWS


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not a readable CSV"),
        ("epoch,accuracy,loss,val_loss\n1,0.9,0.3,0.2\n", "no column 'val_accuracy'"),
        ("epoch,accuracy,loss,val_accuracy,val_loss\n", "no epochs recorded"),
        ("epoch,accuracy,loss,val_accuracy,val_loss\n1,x,0.3,0.9,0.2\n", "must be a number"),
        ("epoch,accuracy,loss,val_accuracy,val_loss\n1,,0.3,0.9,0.2\n", "must be a number"),
    ],
)
def test_broken_histories_are_refused_naming_the_file(tmp_path, text, message):
    path = tmp_path / "A.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=f"A.csv: .*{message}"):
        history.read(path)


def test_a_missing_history_is_refused_by_name(tmp_path):
    with pytest.raises(DataError, match="B.csv: file not found"):
        history.read(tmp_path / "B.csv")


def test_the_notebook_reference_has_the_four_networks_it_trained():
    reference = history.read_reference(REPO_ROOT / "reference" / "notebook_history.csv")
    assert {name: len(rows) for name, rows in reference.items()} == {
        "A": 10,
        "B": 10,
        "B_adj": 10,
        "B_adj2": 17,
    }
    assert reference["B"][-1] == {
        "epoch": 10,
        "accuracy": 0.9971,
        "val_accuracy": 0.9903,
        "val_loss": 0.0381,
    }


def test_ours_beside_the_reference_pairs_common_epochs():
    reference = [{"epoch": 1, "accuracy": 0.5, "val_accuracy": 0.6, "val_loss": 0.7}]
    assert history.beside_reference(ROWS, reference).splitlines() == [
        "epoch,val_accuracy,val_loss,val_accuracy_notebook,val_loss_notebook",
        "1,0.9695000052452087,0.0960792675614357,0.6,0.7",
    ]
