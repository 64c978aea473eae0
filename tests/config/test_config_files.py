"""Config fixtures: every valid file loads; every invalid one fails with its stated line and message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from homelab import config
from homelab.errors import InputError

HERE = Path(__file__).parent
INVALID = sorted(p for p in (HERE / "invalid").iterdir() if p.suffix == ".yaml")
VALID = sorted((HERE / "valid").glob("*.yaml"))


def expectation(path: Path) -> tuple[str, str, int]:
    """The `# breaks:`, `# expect:` and `# line:` header of a fixture (or its .expect sidecar)."""
    sidecar = path.with_name(path.name + ".expect")
    text = (sidecar if sidecar.exists() else path).read_text()
    found = dict(re.findall(r"^# (breaks|expect|line): (.*)$", text, re.M))
    return found["breaks"], found["expect"], int(found["line"])


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_config_is_located(path: Path) -> None:
    _rule, expected, line = expectation(path)
    with pytest.raises(InputError) as err:
        config.load(path)
    lines = str(err.value).splitlines()
    match = [text for text in lines if expected in text]
    assert match, f"no error line contains {expected!r}: {lines}"
    assert match[0].startswith(f"{path}:{line}: "), match[0]


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_config_loads(path: Path) -> None:
    loaded = config.load(path)
    assert loaded.config.platform.name == "lab"
    assert not loaded.builtin


def test_one_line_per_problem() -> None:
    source = "platform: {name: lab, domain: lab.example.net}\ncluster: {nodes: [{name: a, cpu: x, memory: 1GB}]}\n"
    from homelab import yamlsrc

    with pytest.raises(InputError) as err:
        config.parse_config(yamlsrc.parse(source, "inline.yaml"))
    lines = str(err.value).splitlines()
    assert len(lines) == 3  # cpu, memory and the missing gitops section
    assert all(line.startswith("inline.yaml:") for line in lines)


def test_quantities_are_typed() -> None:
    loaded = config.load(HERE / "valid" / "everything.yaml")
    pi = loaded.config.cluster.nodes[1]
    assert (pi.cpu, pi.memory, pi.storage) == (500, 4 * 2**30, 100 * 2**30)


def test_builtin_example_is_used_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    loaded = config.load()
    assert loaded.builtin and loaded.config.profile == "full"


def test_schema_describes_every_top_level_key() -> None:
    schema = config.json_schema()
    assert set(schema["properties"]) == set(config.Config.model_fields)
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize("key", ["function-", "function-after[x]"])
def test_keys_that_look_like_validator_steps_are_reported(key: str) -> None:
    from homelab import yamlsrc

    with pytest.raises(InputError) as err:
        config.parse_config(yamlsrc.parse(f"{key}: 1\n", "odd.yaml"))
    assert f"odd.yaml:1: {key}: unknown key" in str(err.value)
