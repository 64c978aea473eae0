"""YAML that parses but would hurt or mislead us: alias bombs, cycles, deep nesting, duplicate keys,
wide encodings and tabs. Each is refused with the file and line, before anything is built from it."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from homelab import config, yamlsrc
from homelab.errors import InputError

# The 342-byte "billion laughs": nine levels of nine aliases, 9**9 values when expanded.
BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{name}: &{name} [{','.join([f'*{prev}'] * 9)}]\n" for prev, name in zip("abcdefgh", "bcdefghi", strict=True))
MERGE_BOMB = "a: &a {k0: 0, k1: 1, k2: 2, k3: 3, k4: 4, k5: 5, k6: 6, k7: 7, k8: 8}\n" + "".join(
    f"{name}: &{name} {{<<: [{', '.join([f'*{prev}'] * 9)}]}}\n" for prev, name in zip("abcdef", "bcdefg", strict=True))
NODES = "platform: {name: lab, domain: lab.example.net}\ngitops: {repo_url: 'https://g.example/x'}\n"


def refused(text: str, name: str = "in.yaml") -> InputError:
    with pytest.raises(InputError) as caught:
        yamlsrc.parse(text, name)
    (problem,) = caught.value.problems
    assert problem.file == name
    return caught.value


def test_the_billion_laughs_is_refused_at_the_line_that_crosses_the_limit() -> None:
    assert len(BOMB) == 342
    (problem,) = refused(BOMB).problems
    assert problem.line == 6 and "aliases here expand to more than 100,000 values" in problem.message


def test_merge_keys_cannot_amplify_either() -> None:
    (problem,) = refused(MERGE_BOMB).problems
    assert "aliases here expand" in problem.message and problem.line == 5


@pytest.mark.parametrize("text", ["a: &a [1, *a]\n", "a: &a {b: *a}\n", "- &x [[*x]]\n"])
def test_an_alias_inside_its_own_anchor_is_a_cycle(text: str) -> None:
    (problem,) = refused(text).problems
    assert "cycle" in problem.message and problem.line == 1


@pytest.mark.parametrize("text", [
    "x: " + "[" * 150 + "]" * 150 + "\n",
    "".join("  " * level + f"k{level}:\n" for level in range(150)) + "  " * 150 + "leaf\n",
    "a0: &a0 [1]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 120)),  # depth through aliases
])
def test_nesting_is_bounded(text: str) -> None:
    (problem,) = refused(text).problems
    assert "nested more than 100 levels deep" in problem.message and problem.line


def test_ordinary_anchors_and_merge_keys_still_work() -> None:
    text = NODES + "cluster:\n  nodes:\n    - &n1 {name: n1, cpu: 4, memory: 8Gi}\n    - {<<: *n1, name: n2}\n"
    loaded = config.parse_config(yamlsrc.parse(text, "ok.yaml"))
    assert [(n.name, n.cpu) for n in loaded.cluster.nodes] == [("n1", 4000), ("n2", 4000)]


def test_a_duplicate_key_names_both_lines() -> None:
    text = "profile: full\n" + NODES + "cluster: {nodes: [{name: n1, cpu: 4, memory: 8Gi}]}\nprofile: minimal\n"
    (problem,) = refused(text).problems
    assert problem.line == 5 and problem.field == "profile"
    assert "key 'profile' appears twice: first on line 1, again on line 5" in problem.message


def test_a_duplicate_key_on_one_line_names_its_field() -> None:
    (problem,) = refused(NODES + "cluster: {nodes: [{name: n1, cpu: 4, cpu: 8, memory: 8Gi}]}\n").problems
    assert problem.line == 3 and problem.field == "cluster.nodes[0].cpu"


def test_an_explicit_key_may_override_a_merged_one() -> None:
    assert yamlsrc.parse("a: &a {k: 1, j: 2}\nb: {<<: *a, k: 3}\n", "in.yaml").data["b"] == {"k": 3, "j": 2}


def test_a_value_written_as_an_alias_is_located_at_the_alias() -> None:
    source = yamlsrc.parse("a: &x\n  b: 1\nc: 2\nd: *x\n", "in.yaml")
    assert source.line_of(("a", "b")) == 2 and source.line_of(("d", "b")) == 4


def test_every_document_of_a_stream_is_checked() -> None:
    with pytest.raises(InputError) as caught:
        yamlsrc.load_all("kind: A\n---\nkind: B\nspec: &s {a: *s}\n", "many.yaml")
    assert caught.value.problems[0].line == 4


@pytest.mark.parametrize(("encoding", "named"), [
    ("utf-16", "UTF-16"), ("utf-16-le", "UTF-16"), ("utf-16-be", "UTF-16"),
    ("utf-32", "UTF-32"), ("utf-32-le", "UTF-32"), ("utf-32-be", "UTF-32"),
])
def test_wide_encodings_are_named_with_the_fix(tmp_path: Path, encoding: str, named: str) -> None:
    path = tmp_path / "homelab.yaml"
    path.write_bytes((NODES + "cluster: {nodes: []}\n").encode(encoding))
    with pytest.raises(InputError) as caught:
        yamlsrc.read(path, "config file")
    (problem,) = caught.value.problems
    assert named in problem.message and problem.hint == "save the file as UTF-8"


def test_a_utf8_byte_order_mark_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "homelab.yaml"
    path.write_bytes(codecs.BOM_UTF8 + b"a: 1\n")
    assert yamlsrc.read(path).data == {"a": 1}


@pytest.mark.parametrize(("text", "line"), [
    ("a:\n\tb: 1\n", 2),
    ("a:\n  b: 1\n\tc: 2\n", 3),
    ("- a\n\t- b\n", 2),
    ("\ta: 1\n", 1),
    ("a:\n  b:\n  \tc: 1\n", 3),
])
def test_a_tab_in_the_indentation_is_called_a_tab(text: str, line: int) -> None:
    (problem,) = refused(text).problems
    assert "tab" in problem.message and problem.line == line and problem.hint == "replace the tab with spaces"
