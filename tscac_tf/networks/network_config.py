"""Sizes of the shared networks: state encoder, actor, candidate tower, value networks.

ARCHITECTURE §2: the actor maps a state to a preference vector p(s) ∈ R^d and a
candidate's score is ⟨p(s), e(v)⟩ / τ. Every agent (TSCAC and the baselines) builds its
networks from one `NetworkConfig`, so they see the same state and can be compared.
"""

from __future__ import annotations

import dataclasses

from tscac_tf.specs import session_schema as ss


def _positive_sizes(name: str, sizes: tuple[int, ...], allow_empty: bool = True) -> None:
    if not isinstance(sizes, tuple) or not all(isinstance(s, int) and s > 0 for s in sizes):
        raise ValueError(f"{name} must be a tuple of positive ints, got {sizes!r}")
    if not allow_empty and not sizes:
        raise ValueError(f"{name} must have at least one layer, got {sizes!r}")


@dataclasses.dataclass(frozen=True)
class NetworkConfig:
    """Network sizes.

    Attributes:
      history_length: H, the number of most recent videos in the state.
      num_candidates: K used for the training specs (serving accepts any K).
      categorical_dim: embedding size of every categorical feature column.
      video_id_dim: embedding size of the video id (one row per known video, row 0 unknown).
      history_item_dim: size of one history entry after its projection.
      state_hidden: hidden layer sizes of the state MLP (its last size is the state size).
      candidate_hidden: hidden layer sizes of the candidate tower before the d-sized output.
      value_hidden: hidden layer sizes of a value head.
      preference_dim: d, the size of p(s) and e(v).
      temperature: τ > 0 in π(v|s) = softmax_v(⟨p(s), e(v)⟩ / τ).
    """

    history_length: int = ss.DEFAULT_HISTORY_LENGTH
    num_candidates: int = ss.DEFAULT_NUM_CANDIDATES
    categorical_dim: int = 8
    video_id_dim: int = 16
    history_item_dim: int = 32
    state_hidden: tuple[int, ...] = (128, 64)
    candidate_hidden: tuple[int, ...] = (64,)
    value_hidden: tuple[int, ...] = (64,)
    preference_dim: int = 32
    temperature: float = 1.0

    def __post_init__(self) -> None:
        for name in (
            "history_length",
            "num_candidates",
            "categorical_dim",
            "video_id_dim",
            "history_item_dim",
            "preference_dim",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"NetworkConfig.{name} must be an int >= 1, got {value!r}")
        _positive_sizes("NetworkConfig.state_hidden", self.state_hidden, allow_empty=False)
        _positive_sizes("NetworkConfig.candidate_hidden", self.candidate_hidden)
        _positive_sizes("NetworkConfig.value_hidden", self.value_hidden)
        if not self.temperature > 0:
            raise ValueError(f"NetworkConfig.temperature must be > 0, got {self.temperature}")
