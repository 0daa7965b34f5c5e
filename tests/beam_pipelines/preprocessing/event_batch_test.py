"""EventBatch helpers."""

import numpy as np

from beam_pipelines.preprocessing import event_batch as eb


def test_take_concat_and_size(events):
    a = events(user_id=[1, 2, 3])
    b = events(user_id=[4])
    both = eb.concat([a, b])
    assert eb.size(both) == 4 and both["user_id"].tolist() == [1, 2, 3, 4]
    picked = eb.take(both, np.array([True, False, False, True]))
    assert picked["user_id"].tolist() == [1, 4] and picked[eb.LINE].tolist() == [2, 2]


def test_row_text_is_csv_in_schema_order_with_propensity(events):
    batch = events(user_id=[7], video_id=[9], play_time_ms=[1500])
    text = eb.row_text(batch, 0)
    assert text.startswith("7,9,0,") and text.endswith(",0.5")
    assert text.split(",")[12] == "1500"  # play_time_ms is the 13th log column
