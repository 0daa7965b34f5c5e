"""`tscac generate`: the small preset, byte-identical for a seed, different for another."""

import filecmp
import os

import pytest

from tscac_tf import cli

_FILES = (
    "log_standard_4_08_to_4_21_synthetic.csv",
    "log_standard_4_22_to_5_08_synthetic.csv",
    "user_features.csv",
    "video_features_basic.csv",
    "world.json",
    "NOTICE",
    "LICENSE",
)


def _generate(out, seed):
    args = ["generate", "--out", str(out), "--preset", "small", "--seed", str(seed)]
    return cli.main([*args, "--no-progress"])


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("generate")
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        assert _generate(root / name, seed) == 0
    return root


def test_writes_the_kuairand_files(runs):
    assert sorted(os.listdir(runs / "a")) == sorted(_FILES)


def test_same_seed_gives_byte_identical_files(runs):
    match, mismatch, errors = filecmp.cmpfiles(runs / "a", runs / "b", _FILES, shallow=False)
    assert sorted(match) == sorted(_FILES) and not mismatch and not errors


def test_another_seed_gives_other_files(runs):
    _, mismatch, _ = filecmp.cmpfiles(runs / "a", runs / "c", _FILES, shallow=False)
    assert {_FILES[0], _FILES[1], "world.json"} <= set(mismatch)


def test_prints_a_summary(tmp_path, capsys):
    assert _generate(tmp_path, 5) == 0
    out = capsys.readouterr().out
    assert "preset small, seed 5" in out and "exposures in" in out
    assert "log_standard_4_08_to_4_21_synthetic.csv:" in out


def test_unknown_preset_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        cli.main(["generate", "--out", str(tmp_path), "--preset", "huge"])
    assert "invalid choice: 'huge'" in capsys.readouterr().err
