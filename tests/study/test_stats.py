"""The replicate statistics against cases worked out by hand in the comments.

Where a p-value is needed, the t distribution with 4 degrees of freedom has a closed form:
two-sided p = 1 - (3/2) u + (1/2) u^3 with u = |t| / sqrt(t^2 + 4), so the examples below use
df = 4 and check p without asking scipy.
"""

import math

import pytest

from mnist_cnn.study import stats

# t_{0.975, 4} from any t table; the critical value of every 95% interval with 4 df below.
T_975_DF4 = 2.7764451052


def two_sided_p_df4(t: float) -> float:
    u = abs(t) / math.sqrt(t * t + 4)
    return 1 - 1.5 * u + 0.5 * u**3


def test_two_sided_p_df4_is_the_t_distribution():
    # Sanity of the closed form used below: t = 0 gives p = 1, and a table value:
    # P(|T_4| > 2.7764451) = 0.05.
    assert two_sided_p_df4(0.0) == pytest.approx(1.0)
    assert two_sided_p_df4(T_975_DF4) == pytest.approx(0.05, abs=1e-9)


def test_replicate_summary_of_one_to_five():
    # mean 3; squared deviations 4 + 1 + 0 + 1 + 4 = 10, so sd = sqrt(10 / 4) = sqrt(2.5).
    # CI: 3 +- 2.7764451 * sqrt(2.5) / sqrt(5) = 3 +- 2.7764451 * sqrt(0.5) = 3 +- 1.9632432.
    # PI: 3 +- 2.7764451 * sqrt(2.5) * sqrt(1 + 1/5) = 3 +- 2.7764451 * sqrt(3) = 3 +- 4.8089440.
    summary = stats.replicate_summary([1, 2, 3, 4, 5])
    assert summary["n"] == 5 and summary["confidence"] == 0.95
    assert summary["mean"] == pytest.approx(3.0)
    assert summary["sd"] == pytest.approx(math.sqrt(2.5))
    assert summary["ci_low"] == pytest.approx(3 - T_975_DF4 * math.sqrt(0.5))
    assert summary["ci_high"] == pytest.approx(3 + 1.9632432, abs=1e-6)
    assert summary["pi_low"] == pytest.approx(3 - T_975_DF4 * math.sqrt(3))
    assert summary["pi_high"] == pytest.approx(3 + 4.8089440, abs=1e-6)
    assert (summary["min"], summary["max"]) == (1.0, 5.0)


def test_replicate_summary_of_identical_runs_has_zero_width_intervals():
    summary = stats.replicate_summary([0.99, 0.99, 0.99])
    assert summary["sd"] == 0.0
    assert summary["ci_low"] == summary["ci_high"] == summary["pi_low"] == summary["pi_high"]


@pytest.mark.parametrize("values", [[], [0.99]])
def test_replicate_summary_refuses_fewer_than_two_runs(values):
    with pytest.raises(ValueError, match="at least 2 values"):
        stats.replicate_summary(values)


def test_replicate_summary_refuses_a_nan_run():
    with pytest.raises(ValueError, match="finite"):
        stats.replicate_summary([0.9, math.nan])


def test_welch_equal_sizes_and_variances():
    # [1, 2, 3] vs [4, 5, 6]: difference -3, both variances 1, se^2 = 1/3 + 1/3 = 2/3.
    # t = -3 / sqrt(2/3) = -3.6742346.
    # df = (2/3)^2 / ((1/3)^2 / 2 + (1/3)^2 / 2) = (4/9) / (1/9) = 4.
    # u = 3.6742346 / sqrt(13.5 + 4) = 0.8783101; p = 1 - 1.3174651 + 0.3387766 = 0.0213116.
    # CI: -3 +- 2.7764451 * sqrt(2/3) = -3 +- 2.2669579.
    result = stats.welch_t_test([1, 2, 3], [4, 5, 6])
    assert result["difference"] == pytest.approx(-3.0)
    assert result["t"] == pytest.approx(-3 / math.sqrt(2 / 3))
    assert result["df"] == pytest.approx(4.0)
    assert result["p_value"] == pytest.approx(two_sided_p_df4(-3 / math.sqrt(2 / 3)), rel=1e-6)
    assert result["p_value"] == pytest.approx(0.0213116, abs=1e-7)
    assert result["ci_low"] == pytest.approx(-3 - 2.2669579, abs=1e-6)
    assert result["ci_high"] == pytest.approx(-3 + 2.2669579, abs=1e-6)


def test_welch_unequal_variances_uses_welch_satterthwaite_df():
    # [1, 2, 3]: mean 2, variance 1. [4, 6, 8, 10]: mean 7, variance (9 + 1 + 1 + 9) / 3 = 20/3.
    # se^2 = 1/3 + (20/3)/4 = 1/3 + 5/3 = 2, t = -5 / sqrt(2) = -3.5355339.
    # df = 2^2 / ((1/3)^2 / 2 + (5/3)^2 / 3) = 4 / (1/18 + 25/27) = 4 / (53/54) = 216/53.
    # A pooled-variance test would use df = 5 instead.
    result = stats.welch_t_test([1, 2, 3], [4, 6, 8, 10])
    assert result["difference"] == pytest.approx(-5.0)
    assert result["t"] == pytest.approx(-5 / math.sqrt(2))
    assert result["df"] == pytest.approx(216 / 53)
    # p lies between the df = 4 value and the larger-df (smaller-p) side of it.
    assert 0.0 < result["p_value"] < two_sided_p_df4(-5 / math.sqrt(2))
    assert result["ci_low"] < -5 < result["ci_high"] < 0


def test_welch_is_antisymmetric():
    forward = stats.welch_t_test([1, 2, 3], [4, 6, 8, 10])
    backward = stats.welch_t_test([4, 6, 8, 10], [1, 2, 3])
    assert backward["difference"] == pytest.approx(-forward["difference"])
    assert backward["p_value"] == pytest.approx(forward["p_value"])
    assert backward["ci_low"] == pytest.approx(-forward["ci_high"])


def test_welch_without_any_spread_returns_the_limits():
    # Every run of each recipe gave the same number: t is undefined (None); a seen difference
    # gets p = 0, no difference p = 1; the interval is the difference itself.
    apart = stats.welch_t_test([0.1, 0.1, 0.1], [0.2, 0.2, 0.2, 0.2])
    assert apart["t"] is None and apart["df"] is None
    assert apart["p_value"] == 0.0
    assert apart["ci_low"] == apart["ci_high"] == apart["difference"] == pytest.approx(-0.1)
    tied = stats.welch_t_test([0.1, 0.1, 0.1], [0.1, 0.1])
    # mean([0.1] * 3) is 0.10000000000000002 in binary: equal up to rounding is a tie.
    assert tied["p_value"] == 1.0 and tied["difference"] == pytest.approx(0.0, abs=1e-15)


def test_welch_with_one_constant_sample_still_tests():
    # [5, 5, 5] vs [1, 2, 3]: se^2 = 0 + 1/3; t = 3 / sqrt(1/3) = 5.1961524; df = 2 (only the
    # second sample varies). For df = 2, p = 1 - |t| / sqrt(t^2 + 2) = 1 - 5.19615/5.38516.
    result = stats.welch_t_test([5, 5, 5], [1, 2, 3])
    assert result["df"] == pytest.approx(2.0)
    assert result["t"] == pytest.approx(3 * math.sqrt(3))
    assert result["p_value"] == pytest.approx(1 - math.sqrt(27) / math.sqrt(29), rel=1e-6)


def test_holm_three_p_values():
    # Sorted: 0.01, 0.03, 0.04. Multiply by 3, 2, 1: 0.03, 0.06, 0.04.
    # Running maximum: 0.03, 0.06, 0.06. Back in the given order (0.01, 0.04, 0.03):
    assert stats.holm_adjust([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])


def test_holm_caps_at_one_and_keeps_ties():
    # 0.5 * 2 = 1.0; 0.6 * 1 = 0.6, raised to 1.0 by the running maximum.
    assert stats.holm_adjust([0.5, 0.6]) == pytest.approx([1.0, 1.0])
    assert stats.holm_adjust([0.02, 0.02]) == pytest.approx([0.04, 0.04])
    assert stats.holm_adjust([]) == []


def test_holm_refuses_a_p_value_outside_zero_one():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        stats.holm_adjust([0.2, 1.5])


def test_compare_recipes_names_pairs_and_adds_holm():
    runs = {"A": [1, 2, 3], "B": [4, 5, 6], "C": [1, 2, 3]}
    results = stats.compare_recipes(runs)
    assert list(results) == ["A_vs_B", "A_vs_C", "B_vs_C"]
    # A_vs_C ties exactly (p = 1); the two others have p = 0.0213116 (the example above).
    # Holm: sorted 0.0213, 0.0213, 1 times 3, 2, 1 -> 0.0639, 0.0639 (running max), 1.
    assert results["A_vs_C"]["p_value"] == pytest.approx(1.0)
    assert results["A_vs_B"]["p_holm"] == pytest.approx(3 * 0.0213116, abs=1e-6)
    assert results["B_vs_C"]["p_holm"] == pytest.approx(3 * 0.0213116, abs=1e-6)
    assert results["A_vs_C"]["p_holm"] == 1.0


def test_compare_recipes_refuses_an_unknown_recipe():
    with pytest.raises(ValueError, match="unknown recipe 'D'; expected one of A, B"):
        stats.compare_recipes({"A": [1, 2], "B": [3, 4]}, pairs=[("A", "D")])


# Five folds of 60000 training images: n_test = 12000, n_train = 48000, ratio 0.25.
FIRST_FOLDS = [0.990, 0.988, 0.992, 0.989, 0.991]
SECOND_FOLDS = [0.986, 0.986, 0.986, 0.986, 0.986]


def test_corrected_resampled_t_test_five_folds_by_hand():
    # d = 0.004, 0.002, 0.006, 0.003, 0.005; mean(d) = 0.004.
    # Deviations 0, -0.002, 0.002, -0.001, 0.001: sum of squares 1e-5, s_d^2 = 1e-5 / 4 = 2.5e-6.
    # Correction 1/k + n_test/n_train = 0.2 + 0.25 = 0.45; variance 0.45 * 2.5e-6 = 1.125e-6.
    # t = 0.004 / sqrt(1.125e-6) = 4 / sqrt(1.125) = 3.7712362, df = 4.
    # u = 3.7712362 / sqrt(14.2222222 + 4) = 0.8834522; p = 1 - 1.3251783 + 0.3447619 = 0.0195835.
    result = stats.corrected_resampled_t_test(FIRST_FOLDS, SECOND_FOLDS, 12000, 48000)
    assert result["folds"] == 5 and result["df"] == 4
    assert result["difference"] == pytest.approx(0.004)
    assert result["fold_differences"] == pytest.approx([0.004, 0.002, 0.006, 0.003, 0.005])
    assert result["folds_first_ahead"] == 5
    assert result["t"] == pytest.approx(4 / math.sqrt(1.125))
    assert result["p_value"] == pytest.approx(two_sided_p_df4(4 / math.sqrt(1.125)), rel=1e-6)
    assert result["p_value"] == pytest.approx(0.0195835, abs=1e-7)


def test_the_corrected_interval_over_five_folds_by_hand():
    # From the case above: standard error sqrt(1.125e-6) = 0.00106066; t(0.975, df 4) = 2.776445
    # (printed tables); half width 2.776445 * 0.00106066 = 0.0029449 around mean(d) = 0.004.
    result = stats.corrected_resampled_t_test(FIRST_FOLDS, SECOND_FOLDS, 12000, 48000)
    low, high = stats.interval_over_folds(result, 0.95)
    assert low == pytest.approx(0.004 - 0.0029449, abs=1e-7)
    assert high == pytest.approx(0.004 + 0.0029449, abs=1e-7)


def test_no_interval_over_folds_without_spread_or_difference():
    no_spread = stats.corrected_resampled_t_test([0.9, 0.8, 0.7], [0.8, 0.7, 0.6], 1, 1)
    assert stats.interval_over_folds(no_spread, 0.95) is None
    no_difference = {"t": 0.0, "difference": 0.0, "df": 4}
    assert stats.interval_over_folds(no_difference, 0.95) is None


def test_naive_paired_t_test_is_more_optimistic_on_the_same_folds():
    # Without the correction: variance 2.5e-6 / 5 = 5e-7, t = 0.004 / sqrt(5e-7) = 4 sqrt(2).
    # u = 5.6568542 / sqrt(32 + 4) = 0.9428090; p = 1 - 1.4142136 + 0.4190263 = 0.0048127.
    naive = stats.naive_paired_t_test(FIRST_FOLDS, SECOND_FOLDS)
    corrected = stats.corrected_resampled_t_test(FIRST_FOLDS, SECOND_FOLDS, 12000, 48000)
    assert naive["t"] == pytest.approx(4 * math.sqrt(2))
    assert naive["p_value"] == pytest.approx(0.0048127, abs=1e-7)
    assert naive["p_value"] < corrected["p_value"]


def test_fold_differences_keep_their_signs():
    # d = +0.002, -0.001, +0.003: the second model wins fold 2, and the result says so.
    result = stats.corrected_resampled_t_test([0.99, 0.98, 0.99], [0.988, 0.981, 0.987], 1, 2)
    assert result["fold_differences"] == pytest.approx([0.002, -0.001, 0.003])
    assert result["folds_first_ahead"] == 2


def test_tests_over_folds_without_spread_return_the_limits():
    # 0.9 - 0.8, 0.8 - 0.7 and 0.7 - 0.6 differ in the last bits; the margin is still constant.
    same_margin = stats.corrected_resampled_t_test([0.9, 0.8, 0.7], [0.8, 0.7, 0.6], 1, 1)
    assert same_margin["t"] is None and same_margin["p_value"] == 0.0
    tie = stats.naive_paired_t_test([0.9, 0.8], [0.9, 0.8])
    assert tie["t"] is None and tie["p_value"] == 1.0


def test_tests_over_folds_refuse_unpaired_scores():
    with pytest.raises(ValueError, match="one score per fold"):
        stats.naive_paired_t_test([0.9, 0.8, 0.7], [0.9, 0.8])
    with pytest.raises(ValueError, match="positive"):
        stats.corrected_resampled_t_test([0.9, 0.8], [0.9, 0.7], 0, 10)


def test_curve_error_over_common_epochs():
    # Epochs 1 and 2 are common: differences 0 and 0.1; RMSE = sqrt((0 + 0.01) / 2).
    assert stats.curve_error([0.1, 0.2, 0.3], [0.1, 0.1]) == pytest.approx(math.sqrt(0.005))
    assert stats.curve_error([0.5, 0.4], [0.5, 0.4]) == 0.0


def test_curve_error_refuses_curves_without_a_common_epoch():
    with pytest.raises(ValueError, match="share no epoch"):
        stats.curve_error([], [0.1, 0.2])


def test_fidelity_against_range_and_prediction_interval():
    # Runs 1..5: range [1, 5], 95% prediction interval 3 +- 4.8089440 = [-1.81, 7.81].
    summary = stats.replicate_summary([1, 2, 3, 4, 5])
    assert stats.fidelity(3.0, summary) == {
        "value": 3.0,
        "within_range": True,
        "within_prediction_interval": True,
    }
    six = stats.fidelity(6.0, summary)
    assert not six["within_range"] and six["within_prediction_interval"]
    eight = stats.fidelity(8.0, summary)
    assert not eight["within_range"] and not eight["within_prediction_interval"]


# Hand-computed checks of the statistics that make the declared family decisive.


def test_test_image_variance_removes_the_seed_noise_each_image_carries():
    # Two runs of each recipe on four images. Shares right per image: first (1, 1, 0.5, 0),
    # second (1, 0, 1, 0); d = (0, 1, -0.5, 0), mean 0.125, sample variance 1.1875 / 3.
    # Seed noise: image 3 of the first recipe, 0.5 * 0.5 * 2 / 1 = 0.5, divided by 2 runs:
    # 0.25, averaged over 4 images: 0.0625. (1.1875 / 3 - 0.0625) / 4 = 1 / 12.
    first = [[1, 1, 1, 0], [1, 1, 0, 0]]
    second = [[1, 0, 1, 0], [1, 0, 1, 0]]
    assert stats.test_image_variance(first, second) == pytest.approx(1 / 12)


def test_test_image_variance_is_zero_when_the_recipes_agree_on_every_image():
    same = [[1, 0, 1, 1], [1, 0, 1, 1]]
    assert stats.test_image_variance(same, same) == 0.0


def test_test_image_variance_rejects_runs_on_different_images():
    with pytest.raises(ValueError, match="the same images"):
        stats.test_image_variance([[1, 0], [1, 1]], [[1, 0, 1], [1, 1, 1]])


def test_welch_adds_the_image_variance_as_a_third_term():
    # Seed terms 1/3 and 1/3 (sd 1, 3 runs each) plus 1/3 from 4 images: se = 1;
    # df = 1 / ((1/9)/2 + (1/9)/2 + (1/9)/3) = 27 / 4.
    result = stats.welch_t_test([1, 2, 3], [4, 5, 6], image_variance=1 / 3, images=4)
    assert result["standard_error"] == pytest.approx(1.0)
    assert result["df"] == pytest.approx(6.75)
    assert result["t"] == pytest.approx(-3.0)


def test_simultaneous_confidence_is_bonferroni():
    assert stats.simultaneous_confidence(0.95, 4) == pytest.approx(0.9875)
    assert stats.simultaneous_confidence(0.95, 1) == pytest.approx(0.95)


def test_verdicts_follow_the_interval_beside_them():
    assert stats.verdict("A", "B", 0.0001, 0.003, 0.0015) == "A is better"
    assert stats.verdict("A", "B", -0.003, -0.0001, 0.0015) == "B is better"
    assert stats.verdict("A", "B", -0.00071, 0.0012, 0.0015) == (
        "no difference larger than 0.12 pp"
    )
    assert stats.verdict("A", "B", -0.002, 0.001, 0.0015) == "undecided"


def test_detectable_difference_by_hand():
    # sd 0.001 for both, 5 seeds each: se = sqrt(2e-6 / 5) = 0.000632456, df = 8;
    # t(0.975, 8) = 2.306004 and t(0.80, 8) = 0.888890 from tables: 3.194894 * se.
    detectable = stats.detectable_difference(0.001, 0.001, 5, alpha=0.05, power=0.8)
    assert detectable == pytest.approx(0.0020206, rel=1e-4)


def test_seeds_to_decide_a_difference_by_hand():
    # 4 seeds: se = 0.000707107, df 6, (2.446912 + 0.905785) * se = 0.0023707 <= 0.0025;
    # 3 seeds: se = 0.00081650, df 4, (2.776445 + 0.940965) * se = 0.0030353 > 0.0025.
    assert stats.seeds_to_decide(0.0025, 0.001, 0.001, 0.05, 0.8, 0.0015, 25) == 4


def test_seeds_to_decide_an_equivalence_by_hand():
    # No difference, sd 0.0005: 2 seeds give 4.302653 * 0.0005 = 0.00215 > 0.0015;
    # 3 seeds give 2.776445 * 0.00040825 = 0.0011335 <= 0.0015.
    assert stats.seeds_to_decide(0.0, 0.0005, 0.0005, 0.05, 0.8, 0.0015, 25) == 3


def test_no_number_of_seeds_beats_the_test_image_variance():
    # The image term alone (se 0.001, about 1.96 * 0.001 = 0.00196 > 0.0015) stays.
    assert stats.seeds_to_decide(0.0, 0.0005, 0.0005, 0.05, 0.8, 0.0015, 25, 1e-6, 10_000) is None


def test_replicate_summary_clamps_its_intervals_to_the_possible_values():
    summary = stats.replicate_summary([0.999, 1.0, 1.0], bounds=(0.0, 1.0))
    assert summary["ci_high"] == 1.0
    assert summary["pi_high"] == 1.0
    assert summary["pi_low"] < summary["mean"]
