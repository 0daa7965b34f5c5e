"""The candidates step's configuration: where it reads and writes, K, the seed, batching.

Flags live only at the entry points (`options.CandidatesOptions`, `tscac retrieval
candidates`); they are turned into this frozen, validated dataclass.
"""

from __future__ import annotations

import dataclasses

from tscac_tf.specs import session_schema as ss


@dataclasses.dataclass(frozen=True)
class CandidatesConfig:
    """What the candidates step does.

    Attributes:
      data_dir: an ExampleGen output directory (train/, eval/, feature tables, JSON files).
      model_dir: a retrieval model directory (`tscac retrieval train`).
      output_dir: where the same layout is written, with candidates in every step.
      num_candidates: K per step (the logged video always among them); None: the
        retrieval model's `num_candidates`.
      seed: seeds the position at which a missed logged video is inserted.
      history_length: H of the queries; None: the retrieval model's.
      users_per_batch: users per RunInference batch (the model is called per user).
      num_shards: session files per split; 0 lets the runner decide.
      splits: the splits to process.
      exclude_seen: drop from each step's retrieval the videos its user was shown before
        it (in earlier sessions of the splits processed, or earlier in the session), as
        the feed that wrote the logs does, so that more logged videos are retrieved
        (user_sessions.py). False: retrieval's plain top K.
    """

    data_dir: str
    model_dir: str
    output_dir: str
    num_candidates: int | None = None
    seed: int = 0
    history_length: int | None = None
    users_per_batch: int = 8
    num_shards: int = 0
    splits: tuple[str, ...] = (ss.TRAIN_SPLIT, ss.EVAL_SPLIT)
    exclude_seen: bool = True

    def __post_init__(self) -> None:
        for name in ("data_dir", "model_dir", "output_dir"):
            if not getattr(self, name):
                raise ValueError(f"CandidatesConfig.{name}: expected a directory, got ''")
        if self.output_dir.rstrip("/") == self.data_dir.rstrip("/"):
            raise ValueError(
                f"CandidatesConfig: output_dir must differ from data_dir, both are {self.data_dir}"
            )
        for name in ("num_candidates", "history_length", "users_per_batch"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"CandidatesConfig.{name} must be >= 1, got {value}")
        if self.num_shards < 0:
            raise ValueError(f"CandidatesConfig.num_shards must be >= 0, got {self.num_shards}")
        if not self.splits:
            raise ValueError("CandidatesConfig.splits: expected at least one split, got ()")
