"""Published figures of the real KuaiRand-Pure logs: the targets the synthetic world matches.

Source: KuaiRand (Gao et al., "KuaiRand: An Unbiased Sequential Recommendation Dataset with
Randomly Exposed Videos", CIKM 2022; https://kuairand.com; CC BY-SA 4.0), statistics of the
two standard logs of KuaiRand-Pure taken together (log_standard_4_08_to_4_21_pure.csv and
log_standard_4_22_to_5_08_pure.csv), as summarised in ../shared/kuairand_pure/README.md.
`tscac stats` prints these beside any directory's own figures; the response model derives its
per-watch-stage interaction rates from the co-occurrence table here (`stage_rates`).
"""

from __future__ import annotations

from collections.abc import Mapping

SOURCE = (
    "KuaiRand-Pure standard logs 2022-04-08..2022-05-08 (Gao et al., CIKM 2022, "
    "https://kuairand.com, CC BY-SA 4.0)"
)

NUM_ROWS = 1_436_609
NUM_USERS = 27_077
NUM_VIDEOS = 7_551

# Positives per signal (row signal = 1); rates are these over NUM_ROWS.
POSITIVES: Mapping[str, int] = {
    "click": 660_342,
    "long_view": 476_724,
    "like": 26_546,
    "comment": 3_657,
    "follow": 1_543,
    "forward": 1_382,
    "hate": 710,
}
RATES: Mapping[str, float] = {name: count / NUM_ROWS for name, count in POSITIVES.items()}

# Co-occurrence counts: rows where both signals are 1 (symmetric; the diagonal is POSITIVES).
_CO_ORDER = ("hate", "forward", "follow", "comment", "like", "long_view", "click")
_CO_TABLE = (
    (710, 9, 1, 2, 11, 175, 320),
    (9, 1382, 17, 23, 217, 942, 1223),
    (1, 17, 1543, 21, 662, 1080, 1371),
    (2, 23, 21, 3657, 563, 3230, 3555),
    (11, 217, 662, 563, 26546, 17756, 22421),
    (175, 942, 1080, 3230, 17756, 476724, 474789),
    (320, 1223, 1371, 3555, 22421, 474789, 660342),
)
CO_OCCURRENCE: Mapping[tuple[str, str], int] = {
    (a, b): _CO_TABLE[i][j] for i, a in enumerate(_CO_ORDER) for j, b in enumerate(_CO_ORDER)
}

# Scenario (`tab`) counts.
TAB_COUNTS: Mapping[int, int] = {
    1: 1_058_389,
    0: 178_087,
    4: 93_165,
    2: 48_364,
    6: 42_785,
    5: 4_169,
    3: 4_014,
    8: 3_909,
    12: 1_472,
    11: 725,
    7: 504,
    9: 444,
    13: 399,
    10: 152,
    14: 31,
}

# Days between a user's consecutive active days; the last entry is "5 days or more".
RETURN_GAP_DAYS: tuple[str, ...] = ("1", "2", "3", "4", "5+")
RETURN_GAP_SHARES: tuple[float, ...] = (0.617, 0.165, 0.079, 0.047, 0.092)

# Share of exposures replaced by a uniformly random video (is_rand = 1), approximately.
IS_RAND_SHARE = 0.0037

ROWS_PER_USER_RANGE = (1, 910)
ROWS_PER_VIDEO_RANGE = (1, 10_424)
MAX_PLAY_TIME_HOURS = 0.27
MAX_DURATION_HOURS = 0.33

# TSCAC paper, offline NCIS table (KuaiRand-27K part 1, 150 most-watched videos): behaviour
# cloning per step. Not directly comparable (another subset), printed for orientation only.
PAPER_BC_PER_STEP: Mapping[str, float] = {
    "click": 0.5338,
    "like": 0.01231,
    "comment": 0.003225,
    "hate": 2.304e-4,
    "watch_time_s": 12.85,
}

# Watch stages partition the rows by the KuaiRand definitions (long_view implies click):
# 0 = no click, 1 = click without long view, 2 = long view.
NUM_STAGES = 3
STAGE_NAMES = ("no_click", "click_only", "long_view")


def stage_sizes() -> tuple[int, int, int]:
    """Rows per watch stage: (N - clicks, clicks - long views, long views among clicks).

    The 1,935 real rows with long_view = 1 and click = 0 (logging noise: long_view implies
    click by definition) are counted in stage 0.
    """
    lv_click = CO_OCCURRENCE[("long_view", "click")]
    clicks = POSITIVES["click"]
    return NUM_ROWS - clicks, clicks - lv_click, lv_click


def stage_rates(signal: str) -> tuple[float, float, float]:
    """P(signal = 1 | watch stage) from the co-occurrence table.

    count_0 = n - n∧click, count_1 = n∧click - n∧long_view, count_2 = n∧long_view;
    rate_s = count_s / stage_size_s. (n∧long_view over-counts stage 2 by the few rows with
    long_view and no click; the table does not say how many.)

    Args:
      signal: one of like, comment, follow, forward, hate.

    Returns:
      The three rates, stages in STAGE_NAMES order.
    """
    if signal not in POSITIVES or signal in ("click", "long_view"):
        raise KeyError(f"stage_rates: expected an interaction signal, got {signal!r}")
    total = POSITIVES[signal]
    with_click = CO_OCCURRENCE[(signal, "click")]
    with_long = CO_OCCURRENCE[(signal, "long_view")]
    counts = (total - with_click, with_click - with_long, with_long)
    return tuple(c / n for c, n in zip(counts, stage_sizes(), strict=True))


def like_multiplier(signal: str, tolerance: float = 1e-9) -> float:
    """How much a like multiplies P(signal) within a watch stage, to match signal∧like.

    Model: P(i | s, like) = M c_s, P(i | s, no like) = c_s, with c_s = r_s / (1 + (M-1) l_s)
    so that the stage rate r_s of i is kept (l_s = P(like | s)). Then
    E[i ∧ like] = Σ_s N_s l_s M c_s, increasing in M; solved for the real count by bisection.

    Args:
      signal: follow, comment, forward or hate.

    Returns:
      M >= 0.
    """
    if signal == "like":
        raise KeyError("like_multiplier: like is the conditioning signal itself")
    target = CO_OCCURRENCE[(signal, "like")]
    sizes, likes, rates = stage_sizes(), stage_rates("like"), stage_rates(signal)

    def joint(m: float) -> float:
        return sum(
            n * l_s * m * r / (1.0 + (m - 1.0) * l_s)
            for n, l_s, r in zip(sizes, likes, rates, strict=True)
        )

    low, high = 0.0, 1e4
    while high - low > tolerance * max(1.0, high):
        mid = 0.5 * (low + high)
        low, high = (mid, high) if joint(mid) < target else (low, mid)
    return 0.5 * (low + high)
