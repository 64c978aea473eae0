"""A render never loses an edit made to a file the last render wrote: a merged Renovate update, a hand fix."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from tests.needs import tool

from homelab.errors import InputError
from homelab.render import Rendered, write_tree
from homelab.render.edits import SHOWN, _revisions
from homelab.render.writer import MARKER


def _pinned(rendered: Rendered) -> tuple[str, str, str]:
    """A base file holding one chart Application: its path, component and version."""
    for rel, data in rendered.files.items():
        found = _revisions(data.decode("utf-8")) if "/base/" in rel else {}
        if len(found) == 1:
            name, version = next(iter(found.items()))
            return rel, name, version
    raise AssertionError("no base file pins a chart")


def _bump(out: Path, rel: str, version: str) -> str:
    """What a Renovate pull request does: the version moved, nothing else."""
    path = out / rel
    text = path.read_text(encoding="utf-8").replace(f"targetRevision: {version}", "targetRevision: 99.1.0")
    assert "targetRevision: 99.1.0" in text
    path.write_text(text, encoding="utf-8")
    return text


def test_a_moved_chart_version_is_refused_with_the_override_that_keeps_it(rendered: Rendered,
                                                                         tmp_path: Path) -> None:
    out = tmp_path / "tree"
    write_tree(rendered, out)
    rel, name, version = _pinned(rendered)
    edited = _bump(out, rel, version)
    with pytest.raises(InputError) as caught:
        write_tree(rendered, out)
    problem = caught.value.problems[0]
    assert problem.file == str(out / rel) and f"pins {name} 99.1.0" in problem.message
    assert problem.line is not None and "99.1.0" in edited.splitlines()[problem.line - 1]
    assert f'environments.dev.overrides.versions: {{{name}: "99.1.0"}}' in str(problem.hint)
    assert (out / rel).read_text(encoding="utf-8") == edited, "the edit is still there"
    write_tree(rendered, out, discard_edits=True)
    assert (out / rel).read_bytes() == rendered.files[rel]


def test_any_other_edit_is_refused_pointing_at_overrides_and_an_unchanged_tree_is_not(rendered: Rendered,
                                                                                      tmp_path: Path) -> None:
    out = tmp_path / "tree"
    write_tree(rendered, out)
    write_tree(rendered, out)  # nothing edited: nothing refused
    files = sorted(rendered.files)[: SHOWN + 3]
    for rel in files:
        (out / rel).write_text("# mine\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        write_tree(rendered, out)
    problems = caught.value.problems
    assert [p.file for p in problems[:SHOWN]] == [str(out / rel) for rel in files[:SHOWN]]
    assert all("overrides/" in str(p.hint) for p in problems[:SHOWN])
    assert "and 3 more files" in problems[-1].message


def test_an_edit_equal_to_the_new_render_and_a_marker_without_hashes_are_not_refused(rendered: Rendered,
                                                                                      tmp_path: Path) -> None:
    out = tmp_path / "tree"
    write_tree(rendered, out)
    rel, _, version = _pinned(rendered)
    _bump(out, rel, version)
    write_tree(rendered, out, discard_edits=True)
    marker = out / MARKER
    marker.write_text("".join(line.split("  ", 1)[-1] + "\n" for line in marker.read_text().splitlines()))
    _bump(out, rel, version)
    write_tree(rendered, out)  # a tree from before hashes: nothing to compare with
    assert (out / rel).read_bytes() == rendered.files[rel]


def test_sha256sum_reads_the_marker(rendered: Rendered, tmp_path: Path) -> None:
    tool("sha256sum", "apt-get install coreutils")
    out = tmp_path / "tree"
    write_tree(rendered, out)
    rel, _, version = _pinned(rendered)
    check = ["sh", "-c", f"grep -v '^#' {MARKER} | {shutil.which('sha256sum')} -c --quiet"]
    assert subprocess.run(check, cwd=out, capture_output=True, text=True).returncode == 0
    _bump(out, rel, version)
    listed = subprocess.run(check, cwd=out, capture_output=True, text=True)
    assert listed.returncode == 1 and f"{rel}: FAILED" in listed.stdout

