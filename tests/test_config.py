from __future__ import annotations

from pathlib import Path

import pytest

from digest.config import ConfigError, load_config


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "config.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_defaults(tmp_path):
    config, problems = load_config(write(tmp_path, "title: T\n"))
    assert config.title == "T" and config.summary_max_words == 120 and config.base_path == "/"
    assert problems == []


def test_every_error_reported_at_once_with_line_and_key(tmp_path):
    root = write(tmp_path, "title: T\ntimezone: Mars/Olympus\nsummary:\n  max_words: -3\n"
                           "base_url: ftp://x\n")
    with pytest.raises(ConfigError) as err:
        load_config(root)
    found = {(p.key, p.line) for p in err.value.problems}
    assert found == {("timezone", 2), ("summary.max_words", 3), ("base_url", 5)}
    text = str(err.value)
    assert "config.yaml:2" in text and "IANA time zone" in text and "'Mars/Olympus'" in text


def test_unknown_keys_warn(tmp_path):
    config, problems = load_config(write(tmp_path, "title: T\ntitel: typo\n"))
    assert [(p.level, p.key, p.line) for p in problems] == [("warning", "titel", 2)]


def test_sub_path_base_url(tmp_path):
    config, _ = load_config(write(tmp_path, "base_url: https://u.github.io/proj\n"))
    assert config.base_path == "/proj/"


def test_outlets_registry(tmp_path):
    config, _ = load_config(write(tmp_path, "outlets:\n  - name: Gazette\n    domains: [G.example]\n"
                                            "    description: Local paper\n"))
    assert config.outlet("gazette").domains == ("g.example",)


def test_invalid_yaml_names_line(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, "title: T\noutlets: [\n"))
    assert "invalid YAML" in str(err.value) and "config.yaml:" in str(err.value)


def test_missing_config(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path)
