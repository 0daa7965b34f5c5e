"""Wide&Deep and DeepFM on the fake log: they learn the responses and export `rank`."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import numpy as np
import pytest
import tensorflow as tf

from tscac_tf.agents.baselines.response_model import losses
from tscac_tf.agents.baselines.response_model.rank_module import (
    FusedRankModule,
    export_fused_rank_model,
)
from tscac_tf.agents.baselines.response_model.training import build_response_model
from tscac_tf.testing.agent_steps import train_steps
from tscac_tf.testing.fake_transitions import matches


@pytest.mark.parametrize("name", ["wide_deep", "deepfm"])
def test_predicts_more_of_every_good_response_on_matching_videos_and_exports(
    name, lookup, bconfig, tables, transitions, dataset, tmp_path
):
    agent = build_response_model(name, lookup, bconfig)
    infos = train_steps(agent, dataset, 120)
    assert all(np.isfinite(i.loss) for i in infos)
    assert infos[-1].loss < infos[0].loss
    obs = {k: tf.constant(v[:300]) for k, v in transitions["observation"].items()}
    predictions = losses.response_predictions(agent.network(obs))
    matched = matches(
        tables, obs["user_id"].numpy()[:, None], obs["candidate_video_ids"].numpy(), 3
    )
    # on the fake log matching videos are watched ~5x longer and clicked far more
    for n in ("watch_time", "click"):
        p = predictions[n].numpy()
        assert p[matched].mean() > p[~matched & (obs["candidate_video_ids"].numpy() >= 0)].mean()

    module = FusedRankModule(agent.network, losses.fusion_weights(5.0), 5, name=name)
    request = {
        "user_id": obs["user_id"][:4],
        "history_video_ids": obs["history_video_ids"][:4, :3],  # a shorter H' is fitted
        "history_play_time_ms": obs["history_play_time_ms"][:4, :3],
        "candidate_video_ids": obs["candidate_video_ids"][:4],
    }
    served = tf.saved_model.load(export_fused_rank_model(module, str(tmp_path))).signatures["rank"](
        **request
    )
    local = module.rank(**request)
    np.testing.assert_allclose(served["scores"], local["scores"], rtol=1e-5, atol=1e-4)
    np.testing.assert_array_equal(served["ranked_video_ids"], local["ranked_video_ids"])
    assert served["preference"].shape[0] == 4
    best = served["ranked_video_ids"].numpy()[:, 0]
    top = np.take_along_axis(
        served["scores"].numpy(), np.argmax(served["scores"].numpy(), 1)[:, None], 1
    )
    assert np.all(best >= 0) and np.all(top > -1e8)


def test_unknown_response_model(lookup, bconfig):
    with pytest.raises(ValueError, match="unknown response model 'fm'"):
        build_response_model("fm", lookup, bconfig)
