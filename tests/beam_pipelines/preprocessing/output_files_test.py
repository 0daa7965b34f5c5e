"""JSON and FeatureTables outputs through Beam's filesystems."""

from beam_pipelines.preprocessing import output_files
from tscac_tf.features.feature_tables import FeatureTables


def test_json_round_trip_creates_directories(tmp_path):
    path = output_files.output_path(str(tmp_path / "a" / "b"), "x.json")
    output_files.write_json(path, {"b": [1, 2], "a": "ü"})
    assert output_files.read_json(path) == {"a": "ü", "b": [1, 2]}
    assert open(path).read().index('"a"') < open(path).read().index('"b"')  # sorted keys


def test_feature_tables_saved_where_load_finds_them(fixture_tables, tmp_path):
    output_files.save_feature_tables(fixture_tables, str(tmp_path / "out"))
    loaded = FeatureTables.load(str(tmp_path / "out"))
    assert loaded.video_ids.tolist() == fixture_tables.video_ids.tolist()
    assert loaded.vocabularies == fixture_tables.vocabularies
