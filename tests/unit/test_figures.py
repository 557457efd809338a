import io

import numpy as np
from PIL import Image

from mnist_cnn.evaluation import figures


def test_confusion_csv_has_one_row_per_image():
    text = figures.confusion_csv(np.array([3, 1, 4]), np.array([3, 7, 4]))
    assert text == "actual,predicted\n3,3\n1,7\n4,4\n"


def test_misclassified_grid_is_a_png_with_a_row_per_ten_mistakes():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, size=(40, 28, 28, 1), dtype=np.uint8)
    labels = np.arange(40) % 10
    predictions = labels.copy()
    predictions[:25] = (labels[:25] + 1) % 10
    png = figures.misclassified_grid(images, labels, predictions, limit=20, title="B")
    picture = Image.open(io.BytesIO(png))
    assert picture.format == "PNG"
    few = Image.open(
        io.BytesIO(figures.misclassified_grid(images, labels, predictions, limit=5, title="B"))
    )
    # 20 mistakes drawn: two rows of tiles; 5 drawn: one row, so a shorter image.
    assert picture.size[1] > few.size[1] and picture.size[0] == few.size[0]
    assert figures.misclassified_indices(labels, predictions, 20).tolist() == list(range(20))
    # Same input, same bytes: no timestamp or version in the file.
    assert png == figures.misclassified_grid(images, labels, predictions, limit=20, title="B")


def test_misclassified_grid_says_so_when_nothing_is_wrong():
    images = np.zeros((5, 28, 28, 1), dtype=np.uint8)
    labels = np.arange(5)
    png = figures.misclassified_grid(images, labels, labels.copy(), limit=10, title="A")
    assert Image.open(io.BytesIO(png)).format == "PNG"
