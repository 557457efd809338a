import numpy as np
import pytest

from mnist_cnn.data.splitting import split_indices
from mnist_cnn.errors import DataError
from mnist_cnn.params import SplitParams


def labels(count, seed=0):
    return np.random.default_rng(seed).integers(0, 10, count).astype(np.uint8)


def test_full_size_split_is_54000_6000_without_overlap():
    all_labels = labels(60000)
    train, val = split_indices(all_labels, SplitParams(0.1, True, None), seed=1)
    assert (len(train), len(val)) == (54000, 6000)
    assert not set(train) & set(val)
    assert sorted(np.concatenate([train, val])) == list(range(60000))


def test_split_is_stratified():
    all_labels = labels(60000)
    train, val = split_indices(all_labels, SplitParams(0.1, True, None), seed=1)
    overall = np.bincount(all_labels, minlength=10) / len(all_labels)
    in_val = np.bincount(all_labels[val], minlength=10) / len(val)
    assert np.abs(in_val - overall).max() < 0.001


def test_same_seed_same_split_other_seed_other_split():
    all_labels = labels(2000)
    first = split_indices(all_labels, SplitParams(0.1, True, None), seed=5)
    again = split_indices(all_labels, SplitParams(0.1, True, None), seed=5)
    other = split_indices(all_labels, SplitParams(0.1, True, None), seed=6)
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[1], other[1])


def test_limit_keeps_the_first_n_images():
    train, val = split_indices(labels(1000), SplitParams(0.1, True, 300), seed=0)
    assert (len(train), len(val)) == (270, 30)
    assert max(np.concatenate([train, val])) < 300


def test_limit_too_small_for_stratification_is_refused():
    with pytest.raises(DataError, match="raise split.limit"):
        split_indices(labels(1000), SplitParams(0.1, True, 50), seed=0)


def test_a_digit_kept_only_once_is_refused_naming_the_remedy():
    # 27 images, half for validation: digit 0 appears once among the first 27.
    few = np.array([0] + [digit for digit in range(1, 10)] * 3 + [1], dtype=np.uint8)[:27]
    with pytest.raises(DataError, match=r"keeps 1 image of digit 0; a stratified split needs"):
        split_indices(few, SplitParams(0.5, True, 27), seed=0)
    train, val = split_indices(few, SplitParams(0.5, False, 27), seed=0)
    assert len(train) + len(val) == 27
