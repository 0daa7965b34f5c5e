"""The ExampleGen configuration: what `tscac preprocess` reads, how it cuts sessions, where it writes.

Flags live only at the entry points (`options.PreprocessOptions`, `tscac preprocess`);
they are turned into this frozen, validated dataclass, which the transforms take.
"""

from __future__ import annotations

import dataclasses
import datetime

from tscac_tf.specs import kuairand_schema as ks

# A date period: (first yyyymmdd, last yyyymmdd), both inclusive.
Period = tuple[int, int]


def _check_date(value: int, what: str) -> None:
    try:
        if len(str(value)) != 8:  # strptime alone accepts "2022048"
            raise ValueError
        datetime.datetime.strptime(str(value), "%Y%m%d")
    except ValueError:
        raise ValueError(f"{what}: expected a yyyymmdd date, got {value!r}") from None


def parse_period(text: str) -> Period:
    """'20220408-20220421' -> (20220408, 20220421); ValueError says what was expected."""
    parts = text.split("-")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise ValueError(f"expected a period 'yyyymmdd-yyyymmdd', got {text!r}")
    return int(parts[0]), int(parts[1])


@dataclasses.dataclass(frozen=True)
class PreprocessConfig:
    """How raw KuaiRand-format logs become session SequenceExamples.

    Attributes:
      data_dir: directory (or gs:// prefix) holding the KuaiRand-format CSV files.
      out_dir: output directory: train/, eval/, dead_letters/, JSON files, feature tables.
      session_gap_minutes: a new session starts after a gap strictly longer than this.
      split_on_new_day: a new session also starts when the `date` column changes.
      train_period, eval_period: inclusive (first, last) yyyymmdd dates of each split; a
        session belongs to the split of its first step's date. Rows dated outside both go
        to the dead letters (`outside_split_periods`).
      include_random_logs: also read `log_random_*` files (KuaiRand's randomly exposed
        videos, interleaved in the same feeds) besides `log_standard_*`.
      num_user_buckets: users are hashed into this many groups; each group is sorted and
        sessionised in one piece (the unit of parallelism after the shuffle).
      num_shards: session files per split; 0 lets the runner decide.
      read_block_bytes: CSV text parsed per batch (pandas), the unit of parsing work.
    """

    data_dir: str
    out_dir: str
    session_gap_minutes: float = 30.0
    split_on_new_day: bool = True
    train_period: Period = ks.TRAIN_PERIOD
    eval_period: Period = ks.EVAL_PERIOD
    include_random_logs: bool = True
    num_user_buckets: int = 32
    num_shards: int = 0
    read_block_bytes: int = 16 << 20

    def __post_init__(self) -> None:
        if not self.data_dir:
            raise ValueError("data_dir: expected the directory of the KuaiRand CSV files, got ''")
        if not self.out_dir:
            raise ValueError("out_dir: expected an output directory, got ''")
        if not self.session_gap_minutes > 0:
            raise ValueError(f"session_gap_minutes must be > 0, got {self.session_gap_minutes}")
        for name in ("train_period", "eval_period"):
            first, last = getattr(self, name)
            _check_date(first, name)
            _check_date(last, name)
            if first > last:
                raise ValueError(f"{name}: first date {first} is after last date {last}")
        (a, b), (c, d) = self.train_period, self.eval_period
        if a <= d and c <= b:
            raise ValueError(
                f"train_period {self.train_period} and eval_period {self.eval_period} overlap"
            )
        if self.num_user_buckets < 1:
            raise ValueError(f"num_user_buckets must be >= 1, got {self.num_user_buckets}")
        if self.num_shards < 0:
            raise ValueError(f"num_shards must be >= 0 (0 = runner decides), got {self.num_shards}")
        if self.read_block_bytes < 1024:
            raise ValueError(f"read_block_bytes must be >= 1024, got {self.read_block_bytes}")

    @property
    def session_gap_ms(self) -> int:
        return int(round(self.session_gap_minutes * 60_000))
