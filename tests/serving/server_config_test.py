"""Server configuration: labels flag, models.config, validation."""

import pytest

from serving import server_config as sc


def test_parse_version_labels():
    assert sc.parse_version_labels("stable=3, canary=4") == {"stable": 3, "canary": 4}
    assert sc.parse_version_labels("") == {}
    for bad in ("stable", "stable=x", "=3"):
        with pytest.raises(ValueError, match="must look like stable=3"):
            sc.parse_version_labels(bad)


def test_read_model_config_file(tmp_path):
    path = tmp_path / "models.config"
    path.write_text(
        """
        model_config_list {
          config { name: "a" base_path: "exports/a" model_platform: "tensorflow"
                   model_version_policy { specific { versions: 3 versions: 4 } }
                   version_labels { key: "stable" value: 3 } }
          config { name: "b" base_path: "/abs/b" }
        }
        """
    )
    a, b = sc.read_model_config_file(str(path))
    assert a.base_path == str(tmp_path / "exports" / "a")  # relative to the config file
    assert a.version_policy == sc.VersionPolicy("specific", versions=(3, 4))
    assert dict(a.version_labels) == {"stable": 3}
    assert (b.base_path, b.version_policy) == ("/abs/b", sc.VersionPolicy())


@pytest.mark.parametrize(
    "text, message",
    [
        ("nonsense {", "is not a ModelServerConfig"),
        ('custom_model_config { type_url: "x" }', "must hold a model_config_list"),
        (
            'model_config_list { config { name: "a" model_platform: "pytorch" } }',
            "expected 'tensorflow'",
        ),
    ],
)
def test_bad_model_config_files(tmp_path, text, message):
    path = tmp_path / "m.config"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        sc.read_model_config_file(str(path))


def test_validation():
    model = sc.ModelConfig("tscac", "/x")
    assert sc.ServerConfig(models=(model,)).host == "127.0.0.1"  # loopback by default
    with pytest.raises(ValueError, match="unique names"):
        sc.ServerConfig(models=(model, model))
    with pytest.raises(ValueError, match="ports must be in"):
        sc.ServerConfig(models=(model,), grpc_port=70000)
    with pytest.raises(ValueError, match="model name must be"):
        sc.ModelConfig("a/b", "/x")
    with pytest.raises(ValueError, match="non-numeric name"):
        sc.ModelConfig("a", "/x", version_labels={"3": 3})
    with pytest.raises(ValueError, match="latest, specific or all"):
        sc.VersionPolicy("newest")
