"""Property tests for the hostile shapes the first fuzz tests never generated: aliases (and
alias bombs), duplicate keys, and non-finite, negative or zero quantities. Each example must end,
within a deadline, either loaded or refused with every problem at a file and line."""

from __future__ import annotations

import contextlib
import math
import signal
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from homelab import config, yamlsrc
from homelab.errors import InputError

HEAD = "platform: {name: lab, domain: lab.example.net}\ngitops: {repo_url: 'https://git.example.net/lab.git'}\n"
NODES = "cluster:\n  nodes:\n    - {name: n1, cpu: 4, memory: 8Gi}\n"
MAX_ALIAS_VALUES = 100_000  # the documented limit (homelab.yamlguard)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@contextlib.contextmanager
def within(seconds: float) -> Iterator[None]:
    """Fail an example that takes longer than `seconds` (a hang shows as a failure, not a stuck run)."""
    def expired(*_args: Any) -> None:
        raise TimeoutError(f"took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def load(text: str) -> config.Config | InputError:
    with within(2):
        try:
            return config.parse_config(yamlsrc.parse(text, "fuzz.yaml"))
        except InputError as error:
            assert error.problems and all(p.file == "fuzz.yaml" and p.line for p in error.problems), error
            return error


@st.composite
def alias_documents(draw: st.DrawFn, bomb: bool = False) -> tuple[str, int]:
    """Anchors that each repeat earlier ones: the document's text and the values aliases add.

    A `bomb` has seven to nine levels of six to nine aliases each: hundreds of thousands of values
    or more from a few hundred bytes."""
    levels = draw(st.integers(7, 9) if bomb else st.integers(1, 8))
    sizes = [draw(st.integers(1, 5)) + 1]  # values in anchor 0: a list and its scalars
    extra = 0
    lines = [f"  a0: &a0 [{', '.join(['x'] * sizes[0])}]"]
    for level in range(1, levels):
        earlier = st.integers(level - 1, level - 1) if bomb else st.integers(0, level - 1)
        picks = draw(st.lists(earlier, min_size=6 if bomb else 1, max_size=9))
        lines.append(f"  a{level}: &a{level} [{', '.join(f'*a{p}' for p in picks)}]")
        sizes.append(1 + sum(sizes[p] for p in picks))
        extra += sum(sizes[p] for p in picks)  # each `*aN` repeats anchor N's whole tree
    where = draw(st.sampled_from(["choices", "environments", "add", "junk"]))
    return HEAD + NODES + f"{where}:\n" + "\n".join(lines) + "\n", extra


@FAST
@given(alias_documents())
def test_aliases_load_or_are_refused_as_bombs(document: tuple[str, int]) -> None:
    text, extra = document
    outcome = load(text)
    if extra > MAX_ALIAS_VALUES:
        assert isinstance(outcome, InputError) and "aliases here expand" in str(outcome), (extra, outcome)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(alias_documents(bomb=True))
def test_an_alias_bomb_is_refused_in_time(document: tuple[str, int]) -> None:
    text, extra = document
    assert extra > MAX_ALIAS_VALUES
    outcome = load(text)
    assert isinstance(outcome, InputError) and "aliases here expand" in str(outcome), outcome


@st.composite
def duplicated(draw: st.DrawFn) -> tuple[str, str, int, int]:
    """A config with one key written twice at the top or inside a node: (text, key, first line, second line)."""
    top = ["profile: minimal", "add: [gitea]", "remove: []", "allow: []", "choices: {}"]
    node = ["cpu: 4", "memory: 8Gi", "storage: 100Gi", "arch: amd64"]
    if draw(st.booleans()):
        keys = draw(st.lists(st.sampled_from(top), min_size=1, max_size=5, unique=True))
        twice = draw(st.sampled_from(keys))
        body = [*HEAD.splitlines(), *NODES.splitlines(), *keys]
        body.insert(draw(st.integers(len(body) - len(keys) + keys.index(twice) + 1, len(body))), twice)
    else:
        keys = draw(st.lists(st.sampled_from(node), min_size=2, max_size=4, unique=True))
        twice = draw(st.sampled_from(keys))
        body = [*HEAD.splitlines(), "cluster:", "  nodes:", "    - name: n1", *(f"      {k}" for k in keys)]
        body.insert(draw(st.integers(6, len(body))), f"      {twice}")
    key = twice.split(":")[0]
    found = [i + 1 for i, line in enumerate(body) if line.strip().startswith(key + ":")]
    return "\n".join(body) + "\n", key, found[0], found[1]


@FAST
@given(duplicated())
def test_a_duplicate_key_is_refused_naming_both_lines(case: tuple[str, str, int, int]) -> None:
    text, key, first, second = case
    outcome = load(text)
    assert isinstance(outcome, InputError), "a duplicate key was accepted"
    (problem,) = outcome.problems
    assert problem.line == second and f"key '{key}' appears twice: first on line {first}" in problem.message


quantities = st.one_of(st.floats(), st.integers(-10**20, 10**20), st.sampled_from(["-1Gi", "0", "0m", "-4", "1e400"]))


@FAST
@given(st.sampled_from(["cpu", "memory", "storage"]), quantities)
def test_a_quantity_is_a_finite_amount_or_refused_at_its_line(field: str, value: object) -> None:
    written = {"cpu": "4", "memory": "8Gi", "storage": "100Gi"} | {field: repr(value) if isinstance(value, str)
                                                                   else _yaml_number(value)}
    text = HEAD + "cluster:\n  nodes:\n    - name: n1\n" + "".join(f"      {k}: {v}\n" for k, v in written.items())
    outcome = load(text)
    if isinstance(outcome, InputError):
        assert any(p.field == f"cluster.nodes[0].{field}" and p.line for p in outcome.problems), outcome
        return
    node = outcome.cluster.nodes[0]
    amount = getattr(node, field)
    assert isinstance(amount, int) and amount >= 0 and (field == "storage" or amount > 0), (field, value, amount)


def _yaml_number(value: object) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
    return repr(value)
