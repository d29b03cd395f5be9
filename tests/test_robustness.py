"""Bad input never produces a traceback: each case gets a clear message and a documented exit
code. And the linter never runs the code it reads, nor writes outside its cache."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from sentry_model_lint.cli import main
from sentry_model_lint.engine import lint_source

REPO = Path(__file__).resolve().parent.parent

MODEL = textwrap.dedent(
    """\
    from django.db import models
    from sentry.db.models import Model, cell_silo_model


    @cell_silo_model
    class Widget(Model):
        config = models.JSONField(default={})
    """
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.sentry-model-lint]\n")
    (tmp_path / "src" / "sentry" / "models").mkdir(parents=True)
    return tmp_path


def model_path(project: Path, name: str = "widget.py") -> Path:
    return project / "src" / "sentry" / "models" / name


def check(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["check", *argv])
    out = capsys.readouterr()
    assert "Traceback" not in out.err and "Traceback" not in out.out
    return code, out.out, out.err


def test_syntax_error_is_a_finding_and_other_files_go_on(project: Path, capsys) -> None:
    model_path(project, "a_broken.py").write_text("class Widget(:\n")
    model_path(project).write_text(MODEL)
    code, out, _ = check(capsys, str(project))
    assert code == 1 and "a_broken.py:1:14: E999 SyntaxError" in out and "SML101" in out


def test_non_utf8_bytes(project: Path, capsys) -> None:
    model_path(project).write_bytes(b"x = '\xff\xfe'\n")
    code, out, _ = check(capsys, str(project))
    assert code == 1 and "E999 cannot decode" in out


def test_a_declared_encoding_is_honoured(project: Path, capsys) -> None:
    model_path(project).write_bytes(b"# -*- coding: latin-1 -*-\nx = '\xe9'\n")
    assert check(capsys, str(project))[0] == 0


def test_bom_crlf_and_tabs(project: Path, capsys) -> None:
    text = "\ufeff" + MODEL.replace("\n", "\r\n").replace("    config", "\tconfig")
    model_path(project).write_bytes(text.encode("utf-8"))
    code, out, _ = check(capsys, str(project))
    assert code == 1 and ":6:1: SML101" in out and ":7:" in out and "SML130" in out


def test_noqa_on_crlf_lines(project: Path, capsys) -> None:
    text = MODEL.replace("class Widget(Model):", "class Widget(Model):  # noqa: SML101").replace("\n", "\r\n")
    model_path(project).write_bytes(text.encode())
    _code, out, _ = check(capsys, str(project))
    assert "SML101" not in out and "SML130" in out


def test_empty_file(project: Path, capsys) -> None:
    model_path(project).write_text("")
    assert check(capsys, str(project))[0] == 0


def test_ten_megabyte_file(project: Path, capsys) -> None:
    line = "VALUE_{0} = {{'key': [1, 2, 3], 'name': 'some text to fill the line'}}\n"
    with open(model_path(project), "w") as fh:
        for number in range(10 * 1024 * 1024 // len(line) + 1):
            fh.write(line.format(number))
        fh.write(MODEL)
    assert model_path(project).stat().st_size > 10 * 1024 * 1024
    code, out, _ = check(capsys, str(project))
    assert code == 1 and "SML130" in out


def test_nesting_that_exhausts_the_parser(project: Path, capsys) -> None:
    model_path(project).write_text("x = " + "(" * 300 + ")" * 300 + "\n")
    code, out, _ = check(capsys, str(project))
    assert code == 1 and "E999" in out


def test_deep_expressions_inside_a_model(project: Path, capsys) -> None:
    deep = "[" * 90 + "]" * 90
    chain = " + ".join(["1"] * 900)
    model_path(project).write_text(
        MODEL.replace("default={}", f"default={deep}") + f"\n    total = models.IntegerField(default={chain})\n"
    )
    code, out, _ = check(capsys, str(project))
    assert code == 1 and "SML130" in out


def test_missing_path(project: Path, capsys) -> None:
    code, _, err = check(capsys, str(project / "nope.py"))
    assert code == 2 and "no such file or directory" in err


def test_unreadable_file(project: Path, capsys, monkeypatch) -> None:
    target = model_path(project)
    target.write_text(MODEL)
    real_open = open

    def deny(path, *args, **kwargs):
        if os.fspath(path) == str(target):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", deny)
    code, out, _ = check(capsys, "--no-project", str(target))
    assert code == 1 and "E999" in out and "Permission denied" in out


def test_fifo_is_not_read(project: Path, capsys) -> None:
    os.mkfifo(model_path(project, "pipe.py"))
    model_path(project).write_text("x = 1\n")
    assert check(capsys, str(project))[0] == 0
    code, out, _ = check(capsys, str(model_path(project, "pipe.py")))
    assert code == 1 and "not a regular file" in out


def test_folder_without_python_files(project: Path, capsys) -> None:
    empty = project / "docs"
    empty.mkdir()
    (empty / "notes.txt").write_text("hello")
    code, _, err = check(capsys, str(empty))
    assert code == 0 and "no Python files found" in err


def test_symlink_loop_and_links_out_of_the_tree(project: Path, tmp_path_factory, capsys) -> None:
    models = project / "src" / "sentry" / "models"
    (models / "loop").symlink_to(models)
    (project / "self.py").symlink_to(project / "self.py")
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret.py").write_text(MODEL)
    (models / "linked.py").symlink_to(outside / "secret.py")
    (models / "linked_dir").symlink_to(outside)
    model_path(project).write_text("x = 1\n")
    code, out, err = check(capsys, str(project))
    assert code == 0 and out == "", (out, err)


def test_malformed_pyproject(project: Path, capsys) -> None:
    (project / "pyproject.toml").write_text("[tool.sentry-model-lint\nselect = \n")
    model_path(project).write_text(MODEL)
    code, _, err = check(capsys, str(project))
    assert code == 2 and "invalid TOML" in err


def test_flake8_with_a_malformed_pyproject_warns_and_goes_on(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.sentry-model-lint]\nselect = 3\n")
    model_path(project).write_text(MODEL)
    proc = subprocess.run([sys.executable, "-m", "flake8", "--select", "SML", "src"], cwd=project, capture_output=True, text=True)
    assert proc.returncode == 1 and "SML130" in proc.stdout
    assert "sentry-model-lint" in proc.stderr and "Traceback" not in proc.stderr


def test_two_runs_share_one_cold_cache(project: Path) -> None:
    shutil.rmtree(project)
    shutil.copytree(REPO / "fixtures" / "example_repo", project, ignore=shutil.ignore_patterns(".sentry_model_lint_cache"))
    results: list[subprocess.CompletedProcess[str]] = []

    def one() -> None:
        results.append(
            subprocess.run([sys.executable, "-m", "sentry_model_lint", "check", str(project)], capture_output=True, text=True)
        )

    threads = [threading.Thread(target=one) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({r.stdout for r in results}) == 1 and all(r.returncode == 1 for r in results)
    assert all(r.stderr == "" for r in results), [r.stderr for r in results]
    again = subprocess.run([sys.executable, "-m", "sentry_model_lint", "check", str(project)], capture_output=True, text=True)
    assert again.stdout == results[0].stdout


def test_a_cache_that_cannot_be_written_is_not_an_error(project: Path, capsys, monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("sentry_model_lint.files.tempfile.mkstemp", refuse)
    model_path(project).write_text(MODEL)
    code, out, _ = check(capsys, str(project))
    assert code == 1 and "SML130" in out


def test_odd_but_valid_python_does_not_crash() -> None:
    source = textwrap.dedent(
        """\
        from django.db import models as m, migrations
        from sentry.db.models import *
        match x:
            case {"a": [1, *rest]}:
                pass
        class W[T](Model, metaclass=type, **extra):
            type X = int
            a, b = m.IntegerField(), m.IntegerField()
            c: int
            d = e = m.ForeignKey("x", on_delete=m.CASCADE)
            (f := 1)
            del a
            if True:
                g = m.CharField(max_length=1)
            class Meta(object, **kw):
                abstract = lambda: True
                unique_together = [*base]
                indexes = (m.Index(*fields),)
        async def h():
            async with a as b:
                yield [i async for i in b]
        lambda: (yield)
        """
    )
    if sys.version_info < (3, 12):
        source = source.replace("class W[T](", "class W(").replace("    type X = int\n", "")
    result = lint_source(source, "src/sentry/models/odd.py", root="/nonexistent")
    assert result.error is None and result.internal_errors == []


CANARY = textwrap.dedent(
    """\
    import pathlib
    pathlib.Path({marker!r}).write_text("executed")
    from django.db import models
    from sentry.db.models import Model, cell_silo_model
    pathlib.Path({marker!r}).write_text("imported")


    @cell_silo_model
    class Widget(Model):
        config = models.JSONField(default={{}})
    """
)


def test_linting_never_executes_or_imports_the_code(project: Path, tmp_path_factory, capsys) -> None:
    marker = tmp_path_factory.mktemp("canary") / "marker"
    for folder in ("src/sentry/models", "src/sentry/migrations", "tests/sentry/migrations"):
        (project / folder).mkdir(parents=True, exist_ok=True)
        (project / folder / "canary.py").write_text(CANARY.format(marker=str(marker)))
        (project / folder / "__init__.py").write_text(f"import pathlib\npathlib.Path({str(marker)!r}).write_text('package')\n")
    assert check(capsys, str(project))[0] == 1
    assert check(capsys, "--diff", str(project))[0] == 1
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "SML", "src", "tests"], cwd=project, capture_output=True, text=True
    )
    assert "SML130" in proc.stdout
    assert check(capsys, "--fix", "--unsafe-fixes", str(project))[0] in (0, 1)
    assert not marker.exists()


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file() and ".sentry_model_lint_cache" not in p.parts and "__pycache__" not in p.parts
    }


def test_nothing_is_written_outside_the_cache_unless_fixing(project: Path, capsys) -> None:
    model_path(project).write_text(MODEL)
    before = _snapshot(project)
    for argv in (
        ["check", str(project)],
        ["check", "--diff", str(project)],
        ["check", "--format", "sarif", str(project)],
        ["rules"],
    ):
        main(argv)
    capsys.readouterr()
    assert _snapshot(project) == before
    cache = project / ".sentry_model_lint_cache"
    assert not cache.exists() or (cache / ".gitignore").read_text().strip().endswith("*")


def test_fixes_write_atomically_and_keep_permissions(project: Path, capsys) -> None:
    target = model_path(project)
    target.write_text(MODEL)
    os.chmod(target, 0o640)
    inode = target.stat().st_ino
    check(capsys, "--fix", str(project))
    assert "default=dict" in target.read_text()
    assert (target.stat().st_mode & 0o777) == 0o640
    assert target.stat().st_ino != inode  # replaced by a rename, never rewritten in place
    assert not [p for p in target.parent.iterdir() if p.name.endswith(".tmp")]
