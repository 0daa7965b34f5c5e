"""CandidatesOptions: the candidates step's flags, next to Beam's own PipelineOptions."""

from __future__ import annotations

from apache_beam.options.pipeline_options import PipelineOptions

from beam_pipelines.candidates.config import CandidatesConfig
from beam_pipelines.pipeline_flags import add_flag, add_keep_seen_flag


class CandidatesOptions(PipelineOptions):
    """--data_dir, --model_dir, --output_dir, --num_candidates, --seed, ..."""

    # The directories are not `required=True`: Beam parses every registered options class
    # whenever any pipeline reads its options, so a required flag here would break other
    # pipelines in the same process. CandidatesConfig rejects the empty ones instead.
    @classmethod
    def _add_argparse_args(cls, parser):
        add_flag(parser, "--data_dir", default="", help="ExampleGen output directory.")
        add_flag(parser, "--model_dir", default="", help="Retrieval model directory.")
        add_flag(parser, "--output_dir", default="", help="Where to write the sessions.")
        add_flag(
            parser, "--num_candidates", type=int, default=None, help="K (default: the model's)."
        )
        add_flag(parser, "--seed", type=int, default=0, help="Seeds insertion positions.")
        add_flag(
            parser, "--history_length", type=int, default=None, help="H (default: the model's)."
        )
        add_flag(
            parser, "--users_per_batch", type=int, default=8, help="Users per RunInference batch."
        )
        add_flag(
            parser, "--num_shards", type=int, default=0, help="Files per split (0: runner decides)."
        )
        add_keep_seen_flag(parser)

    def to_config(self) -> CandidatesConfig:
        return CandidatesConfig(
            data_dir=self.data_dir,
            model_dir=self.model_dir,
            output_dir=self.output_dir,
            num_candidates=self.num_candidates,
            seed=self.seed,
            history_length=self.history_length,
            users_per_batch=self.users_per_batch,
            num_shards=self.num_shards,
            exclude_seen=self.exclude_seen,
        )
