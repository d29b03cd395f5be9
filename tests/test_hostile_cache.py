"""A checkout is untrusted input (a branch or a fork linted in CI with write tokens): its cache
folder, cache entries and configured baseline must not make the linter read, write or delete
outside the project, nor print what a planted entry says."""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from sentry_model_lint.baseline import Baseline, check_inside, configured_path
from sentry_model_lint.cache import CACHE_DIR, FactsCache, ResultsCache
from sentry_model_lint.cli import main
from sentry_model_lint.config import ConfigError

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="symlinks and modes are POSIX here")

BAD_MODEL = textwrap.dedent(
    """\
    from django.db import models
    from sentry.db.models import Model, cell_silo_model


    @cell_silo_model
    class Widget(Model):
        config = models.JSONField(default={})
        title = models.CharField(max_length=64)
    """
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "src" / "sentry" / "models").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (root / "src" / "sentry" / "models" / "widget.py").write_text(BAD_MODEL)
    return root


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    return folder


def tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def check(project: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["check", str(project / "src")])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def umask_zero() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


# 1. the cache folder -------------------------------------------------------------------------


def test_symlinked_cache_folder_is_neither_written_read_nor_pruned(project: Path, outside: Path, capsys) -> None:
    (outside / "results-0.0-1-old-0123.json").write_text("{}")
    (outside / "facts-0.0-1-old").mkdir()
    (outside / "facts-0.0-1-old" / "keep.json").write_text("{}")
    (outside / "precious.txt").write_text("x")
    before = tree(outside)
    (project / CACHE_DIR).symlink_to(outside, target_is_directory=True)

    for _ in range(2):
        code, out, err = check(project, capsys)
        assert code == 1 and "SML101" in out
        assert "Traceback" not in err
    assert tree(outside) == before  # nothing written, nothing pruned through the link
    assert (project / CACHE_DIR).is_symlink()


def test_symlinked_facts_folder_is_neither_read_nor_written(project: Path, outside: Path) -> None:
    (project / CACHE_DIR).mkdir()
    probe = FactsCache(str(project))
    os.symlink(outside, probe.dir, target_is_directory=True)
    planted = {"folder": "src", "salt": "", "entries": {"a.py": {"size": 1}}}
    Path(probe._pack_path("src")).write_text(json.dumps(planted))  # lands in outside
    before = tree(outside)

    cache = FactsCache(str(project))
    assert cache._pack("src") == {}  # the planted pack is not believed
    cache._pack("lib")["b.py"] = {"size": 1}
    cache._dirty.add("lib")
    cache.flush()
    assert tree(outside) == before
    assert os.path.islink(cache.dir)


def test_dangling_gitignore_link_does_not_create_its_target(project: Path, outside: Path, capsys) -> None:
    (project / CACHE_DIR).mkdir()
    target = outside / "created-by-the-linter"
    (project / CACHE_DIR / ".gitignore").symlink_to(target)

    code, _, err = check(project, capsys)
    assert code == 1 and "Traceback" not in err
    assert not target.exists()
    assert tree(outside) == []


def test_dangling_lock_link_does_not_create_its_target(project: Path, outside: Path) -> None:
    cache = ResultsCache(str(project), "key")
    (project / CACHE_DIR).mkdir()
    target = outside / "lock"
    os.symlink(target, cache.path + ".lock")
    cache.put("src/sentry/models/widget.py", "1:2", "p", [])
    cache.flush()  # refused: the cache is turned off, no traceback
    assert not target.exists()


def test_cache_files_and_folders_are_not_group_or_world_writable(project: Path, capsys, umask_zero) -> None:
    code, _, _ = check(project, capsys)
    assert code == 1
    paths = [project / CACHE_DIR, *(project / CACHE_DIR).rglob("*")]
    assert len(paths) > 2
    for path in paths:
        mode = stat.S_IMODE(path.lstat().st_mode)
        assert not mode & 0o022, (path, oct(mode))


# 2. cache entries are validated ---------------------------------------------------------------

GOOD = [7, 14, "SML130", "a message", "Widget.config"]


@pytest.mark.parametrize(
    "finding",
    [
        [7, 14, "XYZ999", "a message", "Widget.config"],  # unknown code
        [0, 14, "SML130", "a message", "Widget.config"],  # line 0
        [-3, 14, "SML130", "a message", "Widget.config"],
        [7, -1, "SML130", "a message", "Widget.config"],  # negative column
        [7, 14, "SML130", "a \x1b[2Jmessage", "Widget.config"],  # terminal escape
        [7, 14, "SML130", "a message\n::error::forged", "Widget.config"],  # forged CI annotation
        [7, 14, "SML130", "a\rmessage", "Widget.config"],
        [7, 14, "SML130", "a\x9bmessage", "Widget.config"],  # C1 control
        [7, 14, "SML130", "a message", "Widget\n.config"],
        [7, 14, "SML130", "a message", "Widget\x00"],
        [True, 14, "SML130", "a message", "Widget.config"],
        [7, 14, "SML130", 3, "Widget.config"],
    ],
)
def test_results_entries_that_the_linter_cannot_have_written_are_discarded(project: Path, finding: list[object]) -> None:
    cache = ResultsCache(str(project), "key")
    cache.put("a.py", "s", "p", [GOOD, finding])
    cache.flush()
    assert ResultsCache(str(project), "key").get("a.py", "s", "p") is None


def _plant(project: Path, found: list[object]) -> None:
    (results,) = (project / CACHE_DIR).glob("results-*.json")
    data = json.loads(results.read_text())
    for entry in data["entries"].values():
        entry["found"] = found
    results.write_text(json.dumps(data))


def test_results_entry_line_beyond_the_file_is_discarded(project: Path, capsys) -> None:
    code, first, _ = check(project, capsys)
    assert code == 1
    _plant(project, [[10_000, 0, "SML130", "a message", "Widget.config"]])
    code, out, _ = check(project, capsys)
    assert code == 1
    assert out == first and "10000" not in out


def test_entries_planted_in_a_copied_cache_do_not_hide_findings(project: Path, tmp_path: Path, capsys) -> None:
    """A cache folder committed or copied with the tree never matches, even when the files keep
    their size and nanosecond mtime: the stamp holds the inode, which a new file gets anew. An
    empty list there would otherwise hide every finding."""
    code, first, _ = check(project, capsys)
    assert code == 1 and "SML130" in first
    _plant(project, [])
    for path in (project / "src").rglob("*.py"):  # the same files, written anew, times kept
        st = path.stat()
        fresh = path.with_name(path.name + ".new")
        fresh.write_bytes(path.read_bytes())
        os.replace(fresh, path)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
        assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns
    code, out, _ = check(project, capsys)
    assert code == 1
    assert out == first
    copy = tmp_path / "copy"
    shutil.copytree(project, copy, symlinks=True)  # copy2 keeps the nanosecond mtimes
    code, out, _ = check(copy, capsys)
    assert code == 1
    assert out.replace(str(copy), "X") == first.replace(str(project), "X")


def test_valid_and_empty_entries_are_kept(project: Path) -> None:
    cache = ResultsCache(str(project), "key")
    cache.put("a.py", "s", "p", [GOOD], {"app:sentry": "x1"})
    cache.put("b.py", "s", "p", [])  # cannot be told apart from a planted one: believed
    cache.flush()
    fresh = ResultsCache(str(project), "key")
    assert fresh.get("a.py", "s", "p") == ([GOOD], {"app:sentry": "x1"})
    assert fresh.get("b.py", "s", "p") == ([], {})


def test_planted_results_are_not_printed_and_the_file_is_linted_again(project: Path, capsys) -> None:
    code, first, _ = check(project, capsys)
    assert code == 1
    (results,) = (project / CACHE_DIR).glob("results-*.json")
    data = json.loads(results.read_text())
    for entry in data["entries"].values():
        entry["found"] = [[1, 0, "SML130", "\x1b]8;;http://evil\x07click\n::error::owned", "x"]]
    results.write_text(json.dumps(data))

    code, out, err = check(project, capsys)
    assert code == 1 and "Traceback" not in err
    assert out == first
    assert "\x1b" not in out and "owned" not in out


# 3. the baseline ------------------------------------------------------------------------------


@pytest.mark.parametrize("configured", ["../../x.json", "../x.json", "/etc/passwd", "sub/../../x.json", "."])
def test_configured_baseline_outside_the_root_is_refused(project: Path, configured: str) -> None:
    with pytest.raises(ConfigError, match="outside the project root"):
        configured_path(str(project), configured)


def test_configured_baseline_through_a_link_out_of_the_root_is_refused(project: Path, outside: Path) -> None:
    (project / "baselines").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ConfigError, match="outside the project root"):
        configured_path(str(project), "baselines/b.json")
    (project / "b.json").symlink_to(outside / "b.json")
    with pytest.raises(ConfigError, match="outside the project root"):
        configured_path(str(project), "b.json")
    with pytest.raises(ConfigError):
        Baseline.load(str(project / "b.json"), root=str(project))
    with pytest.raises(ConfigError):
        Baseline.write(str(project / "b.json"), [], root=str(project))
    assert not (outside / "b.json").exists()


def test_configured_baseline_inside_the_root_is_accepted(project: Path) -> None:
    assert configured_path(str(project), "b.json") == os.path.join(str(project), "b.json")
    assert configured_path(str(project), str(project / "sub" / "b.json")) == str(project / "sub" / "b.json")
    check_inside(str(project), str(project / "x" / ".." / "b.json"))


def test_baseline_is_written_0644(project: Path, umask_zero) -> None:
    path = project / "baseline.json"
    assert Baseline.write(str(path), [("a.py", "SML130", "Widget.config")], root=str(project)) == 1
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert Baseline.load(str(path), root=str(project)).entries


@pytest.mark.parametrize(
    "text",
    [
        '{"format": 1, "findings": [{"path": "a.py", "code": "SML130", "symbol": "x", "count": 1e400}]}',
        '{"format": 1, "findings": [{"path": "a.py", "code": "SML130", "symbol": "x", "count": -1e400}]}',
        "[" * 100_000 + "]" * 100_000,
        '{"format": 1, "findings": ' + "[" * 100_000 + "]" * 100_000 + "}",
    ],
)
def test_hostile_baseline_gives_a_clear_error(project: Path, text: str) -> None:
    path = project / "baseline.json"
    path.write_text(text)
    with pytest.raises(ConfigError, match="baseline file"):
        Baseline.load(str(path))


def test_cli_refuses_a_configured_baseline_outside_the_root(tmp_path: Path, capsys) -> None:
    from sentry_model_lint.cli import main

    root = tmp_path / "repo"
    root.mkdir()
    (root / "pyproject.toml").write_text('[tool.sentry-model-lint]\nbaseline = "../outside.json"\n')
    (root / "model.py").write_text("x = 1\n")
    assert main(["check", "--no-cache", str(root)]) == 2
    assert main(["baseline", "--no-cache", str(root)]) == 2
    assert "outside the project root" in capsys.readouterr().err
    assert not (tmp_path / "outside.json").exists()


def _as_if_committed(project: Path) -> None:
    """The cache folder as a checkout brings it: same files, a folder made anew."""
    folder = project / CACHE_DIR
    moved = project / "moved"
    shutil.copytree(folder, moved, symlinks=True)
    shutil.rmtree(folder)
    moved.rename(folder)


def test_a_cache_folder_that_came_with_the_checkout_is_not_read(project: Path, capsys) -> None:
    """flake8 keys its results by the text's hash, the facts cache falls back on it: both
    could be matched by entries planted in a committed cache folder, which is therefore
    emptied and claimed anew rather than read."""
    import subprocess

    def flake8() -> str:
        return subprocess.run(
            [sys.executable, "-m", "flake8", "--isolated", "--select", "SML", "src"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=300,
        ).stdout

    first = flake8()
    assert "SML130" in first
    check(project, capsys)
    for results in (project / CACHE_DIR).glob("results-*.json"):
        data = json.loads(results.read_text())
        for entry in data["entries"].values():
            entry["found"] = []
        results.write_text(json.dumps(data))
    assert flake8() == ""  # planted in the linter's own folder: believed (it is the user's)
    _as_if_committed(project)
    assert flake8() == first
    assert check(project, capsys)[0] == 1
    owner = (project / CACHE_DIR / ".owner").read_text()
    st = (project / CACHE_DIR).lstat()
    assert owner == f"{st.st_dev}:{st.st_ino}\n"
