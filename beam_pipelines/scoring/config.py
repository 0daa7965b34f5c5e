"""ScoringConfig: what a batch-scoring run reads, how it scores and what it writes."""

from __future__ import annotations

import dataclasses

from tscac_tf.specs import session_schema as ss

OUTPUT_FORMATS = ("jsonl", "csv")


@dataclasses.dataclass(frozen=True)
class ScoringConfig:
    """One batch-scoring run.

    Attributes:
      model: a SavedModel directory, or a base path / model directory (newest version).
      data_dir: an ExampleGen output directory (holds `<split>/sessions-*.tfrecord.gz`).
      out_dir: where `top_n-*.jsonl` / `top_n-*.csv` and `dead_letters-*` go.
      top_n: recommendations kept per user (at most the model's N).
      split: the session split whose latest session gives each user's history.
      users_csv: optional CSV with a `user_id` column (e.g. KuaiRand's user_features);
        its users without sessions are scored with an empty history.
      output_format: "jsonl" or "csv" (columns user_id, rank, video_id, score).
      batch_size: the most users per model call.
      exclude_seen: leave out of each user's rows the videos of the user's sessions that
        were read (the `recommend` signature cannot: a request carries only the last H
        videos); the rows are the first top_n of the others among the model's N.
    """

    model: str
    data_dir: str
    out_dir: str
    top_n: int = 10
    split: str = ss.EVAL_SPLIT
    users_csv: str | None = None
    output_format: str = "jsonl"
    batch_size: int = 256
    exclude_seen: bool = True

    def __post_init__(self):
        if self.top_n < 1 or self.batch_size < 1:
            raise ValueError(
                f"top_n and batch_size must be >= 1, got {self.top_n} and {self.batch_size}"
            )
        if self.output_format not in OUTPUT_FORMATS:
            raise ValueError(
                f"output_format must be one of {OUTPUT_FORMATS}, got {self.output_format!r}"
            )
