import pytest

from mnist_cnn.evaluation import overfitting


def history(val_losses, train_losses, val_accuracies=None):
    val_accuracies = val_accuracies or [0.9] * len(val_losses)
    return [
        {
            "epoch": index + 1,
            "accuracy": 0.9,
            "loss": loss,
            "val_accuracy": accuracy,
            "val_loss": val_loss,
        }
        for index, (val_loss, loss, accuracy) in enumerate(
            zip(val_losses, train_losses, val_accuracies, strict=True)
        )
    ]


def test_rising_validation_loss_with_falling_training_loss_is_the_signature():
    rows = history(
        [0.10, 0.05, 0.04, 0.05, 0.06],
        [0.3, 0.1, 0.05, 0.03, 0.02],
        [0.95, 0.98, 0.99, 0.99, 0.985],
    )
    analysis = overfitting.analyse(
        rows, train_test_gap=0.01, val_loss_rise_tolerance=0.1, gap_tolerance=0.005
    )
    assert analysis["lowest_val_loss_epoch"] == 3
    assert analysis["val_loss_rise"] == pytest.approx(0.02)
    assert analysis["train_loss_change"] == pytest.approx(-0.03)
    # The first of the tied best accuracies (epochs 3 and 4) is the best epoch.
    assert analysis["best_val_accuracy_epoch"] == 3
    assert analysis["val_loss_rose_while_train_loss_fell"] is True
    assert analysis["verdict"] == "overfits"


def test_a_rise_within_the_tolerance_is_noise():
    rows = history([0.05, 0.04, 0.043], [0.1, 0.05, 0.03])
    analysis = overfitting.analyse(rows, 0.001, val_loss_rise_tolerance=0.1, gap_tolerance=0.005)
    assert analysis["val_loss_rose_while_train_loss_fell"] is False
    assert analysis["verdict"] == "no sign of overfitting"


def test_rising_validation_loss_with_rising_training_loss_is_not_the_signature():
    rows = history([0.05, 0.04, 0.08], [0.1, 0.05, 0.09])
    analysis = overfitting.analyse(rows, 0.01, val_loss_rise_tolerance=0.1, gap_tolerance=0.005)
    assert analysis["val_loss_rose_while_train_loss_fell"] is False
    assert analysis["verdict"] == "slightly overfitted"


def test_signature_without_a_gap_starts_to_overfit():
    rows = history([0.05, 0.04, 0.06], [0.1, 0.05, 0.03])
    analysis = overfitting.analyse(rows, -0.002, val_loss_rise_tolerance=0.1, gap_tolerance=0.005)
    assert analysis["verdict"] == "starts to overfit"
