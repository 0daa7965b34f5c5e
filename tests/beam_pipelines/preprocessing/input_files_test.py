"""Finding a KuaiRand directory's files; a missing file or column fails at once, named."""

import pytest

from beam_pipelines.preprocessing import input_files
from tscac_tf.specs import kuairand_schema as ks

LOG_HEADER = ",".join(ks.LOG_COLUMN_NAMES)


def _write(directory, name, header):
    path = directory / name
    path.write_text(header + "\n")
    return str(path)


def _tables(directory, version="pure"):
    _write(directory, f"user_features_{version}.csv", ",".join(ks.USER_COLUMN_NAMES))
    _write(directory, f"video_features_basic_{version}.csv", ",".join(ks.VIDEO_COLUMN_NAMES))


def test_real_names_with_parts_and_random_logs(tmp_path):
    _tables(tmp_path, "27k")
    for name in (
        "log_standard_4_22_to_5_08_27k_part2.csv",
        "log_standard_4_08_to_4_21_27k_part1.csv",
        "log_random_4_22_to_5_08_27k.csv",
    ):
        _write(tmp_path, name, LOG_HEADER)
    _write(tmp_path, "README.md", "not a log")
    files = input_files.find_input_files(str(tmp_path))
    names = [p.rsplit("/", 1)[1] for p in files.log_files]
    assert names == [
        "log_random_4_22_to_5_08_27k.csv",
        "log_standard_4_08_to_4_21_27k_part1.csv",
        "log_standard_4_22_to_5_08_27k_part2.csv",
    ]
    assert files.user_file.endswith("user_features_27k.csv")
    assert files.log_headers[0] == ks.LOG_COLUMN_NAMES
    skipped = input_files.find_input_files(str(tmp_path), include_random_logs=False)
    assert len(skipped.log_files) == 2


def test_synthetic_names_and_propensity_column(tmp_path):
    _write(tmp_path, "user_features.csv", ",".join(ks.USER_COLUMN_NAMES))
    _write(tmp_path, "video_features_basic.csv", ",".join(ks.VIDEO_COLUMN_NAMES))
    _write(tmp_path, "log_standard_4_08_to_4_21_synthetic.csv", LOG_HEADER + ",behavior_propensity")
    files = input_files.find_input_files(str(tmp_path))
    assert files.log_headers[0][-1] == "behavior_propensity"


def test_missing_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="no log file"):
        input_files.find_input_files(str(tmp_path))
    _write(tmp_path, "log_standard_4_08_to_4_21_pure.csv", LOG_HEADER)
    with pytest.raises(FileNotFoundError, match="no user table"):
        input_files.find_input_files(str(tmp_path))
    _write(tmp_path, "user_features_pure.csv", ",".join(ks.USER_COLUMN_NAMES))
    with pytest.raises(FileNotFoundError, match="no video table.*video_features_basic"):
        input_files.find_input_files(str(tmp_path))


def test_missing_column_names_file_and_column(tmp_path):
    _tables(tmp_path)
    header = ",".join(c for c in ks.LOG_COLUMN_NAMES if c != "play_time_ms")
    path = _write(tmp_path, "log_standard_4_08_to_4_21_pure.csv", header)
    with pytest.raises(
        ValueError, match=r"log_standard_4_08_to_4_21_pure.csv.*\['play_time_ms'\]"
    ) as e:
        input_files.find_input_files(str(tmp_path))
    assert path in str(e.value)
    _write(tmp_path, "log_standard_4_08_to_4_21_pure.csv", LOG_HEADER)
    _write(tmp_path, "video_features_basic_pure.csv", "video_id,author_id")
    with pytest.raises(
        ValueError, match=r"video_features_basic_pure.csv: the video table lacks.*'tag'"
    ):
        input_files.find_input_files(str(tmp_path))


def test_mixed_versions_and_empty_header_are_refused(tmp_path):
    _tables(tmp_path)
    _write(tmp_path, "log_standard_4_08_to_4_21_pure.csv", LOG_HEADER)
    _write(tmp_path, "log_standard_4_22_to_5_08_1k.csv", LOG_HEADER)
    with pytest.raises(ValueError, match="several KuaiRand versions"):
        input_files.find_input_files(str(tmp_path))
    (tmp_path / "log_standard_4_22_to_5_08_1k.csv").unlink()
    (tmp_path / "log_standard_4_08_to_4_21_pure.csv").write_text("")
    with pytest.raises(ValueError, match="the file is empty"):
        input_files.find_input_files(str(tmp_path))
