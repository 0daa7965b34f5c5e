"""Training of a multi-task response model on the logged (state, video) pairs.

Not a policy learner: for every logged transition the model predicts each response of the
*logged* video (watch time in seconds by squared error, interactions by logistic loss) and
all losses are summed. The object has what `Trainer` needs (`initialize()`, `train(exp)`
returning a TF-Agents `LossInfo`, `train_step_counter`), so it trains, checkpoints, resumes
and writes summaries like every agent.
"""

from __future__ import annotations

import tensorflow as tf
from tf_agents.agents import tf_agent

from tscac_tf.agents.baselines.response_model import losses
from tscac_tf.agents.baselines.response_model.config import ResponseModelConfig
from tscac_tf.specs import session_schema as ss
from tscac_tf.training.gradient_step import batch_mean, create_train_step_counter, gradient_step
from tscac_tf.training.optimizer_config import build_slots


def build_variables(network: tf.keras.layers.Layer, history_length: int) -> None:
    """Creates the network's variables by calling it on one all-padding observation."""
    spec = ss.observation_spec(history_length, 1)
    network(tf.nest.map_structure(lambda s: tf.zeros([1, *s.shape], s.dtype), spec))


class ResponseModelAgent(tf.Module):
    """Trains a response network ({name: o_j [B, K]}) on logged transitions."""

    def __init__(
        self,
        network: tf.keras.layers.Layer,
        config: ResponseModelConfig,
        history_length: int,
        name: str = "response_model",
    ) -> None:
        super().__init__(name=name)
        build_variables(network, history_length)
        self.network = network
        self._optimizer = config.optimizer.make(name=f"{name}_adam")
        self.train_step_counter = create_train_step_counter()

    def initialize(self):
        build_slots(self._optimizer, self.network.trainable_variables)

    def logged_outputs(self, experience: dict) -> dict[str, tf.Tensor]:
        """{name: o_j [B]} of the logged video of every transition."""
        observation = dict(experience["observation"])
        observation["candidate_video_ids"] = experience["logged_video_id"][:, None]
        return {n: o[:, 0] for n, o in self.network(observation).items()}

    def train(self, experience: dict, weights=None) -> tf_agent.LossInfo:
        labels = losses.response_labels(experience["reward"])
        with tf.GradientTape() as tape:
            outputs = self.logged_outputs(experience)
            per_response = {
                n: batch_mean(v, weights)
                for n, v in losses.response_losses(outputs, labels).items()
            }
            total = tf.add_n(list(per_response.values()))
        norm = gradient_step(tape, total, self.network.trainable_variables, self._optimizer)
        self.train_step_counter.assign_add(1)
        predictions = losses.response_predictions(outputs)
        extra = {
            "response_loss": per_response,
            "prediction_mean": {n: tf.reduce_mean(p) for n, p in predictions.items()},
            "label_mean": {n: tf.reduce_mean(v) for n, v in labels.items()},
            "grad_norm": norm,
        }
        return tf_agent.LossInfo(loss=total, extra=extra)
