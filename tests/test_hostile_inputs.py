"""A checkout is untrusted input: FIFOs, devices, links out of the project, huge files, patterns
and coding cookies that break the libraries underneath. None may hang, crash or lose findings."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs and /dev/zero")

MODEL = textwrap.dedent(
    """\
    from django.db import models

    from sentry.db.models import Model, cell_silo_model


    @cell_silo_model
    class Gadget(Model):
        name = models.CharField(max_length=256)
    """
)


@pytest.fixture(autouse=True)
def _alarm() -> Iterator[None]:
    """An in-process read that blocks fails the test instead of hanging the run."""

    def _timeout(_signum: int, _frame: object) -> None:
        raise TimeoutError("blocked on a hostile input")

    old = signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(60)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    models = root / "src" / "sentry" / "models"
    models.mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (models / "gadget.py").write_text(MODEL)
    return root


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    code = "import sys; from sentry_model_lint.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def flake8(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


# --- A: the guarded reader -------------------------------------------------------------------------


def test_read_bytes_refuses_what_is_not_a_regular_file(tmp_path: Path) -> None:
    from sentry_model_lint.files import RefusedFile, read_bytes

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    zero = tmp_path / "zero"
    zero.symlink_to("/dev/zero")
    for path in (fifo, zero, tmp_path):
        with pytest.raises(RefusedFile):
            read_bytes(str(path))
    with pytest.raises(FileNotFoundError):
        read_bytes(str(tmp_path / "missing"))


def test_read_bytes_caps_the_size(tmp_path: Path) -> None:
    from sentry_model_lint.files import RefusedFile, read_bytes

    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * 11)
    with pytest.raises(RefusedFile):
        read_bytes(str(path), limit=10)
    assert read_bytes(str(path), limit=11) == b"x" * 11


def test_read_text_refuses_a_link_out_of_the_root_only(tmp_path: Path) -> None:
    from sentry_model_lint.files import RefusedFile, read_text

    root = tmp_path / "root"
    root.mkdir()
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    (root / "inside.txt").write_text("é\xff".encode("latin-1").decode("latin-1"), encoding="latin-1")
    (root / "out").symlink_to(outside)
    (root / "in").symlink_to(root / "inside.txt")
    with pytest.raises(RefusedFile):
        read_text(str(root / "out"), root=str(root))
    assert read_text(str(root / "out")) == "secret"
    assert read_text(str(root / "in"), root=str(root)) == "\ufffd\ufffd"


def test_cli_does_not_hang_on_fifos_devices_and_links_out(project: Path, tmp_path: Path) -> None:
    os.mkfifo(project / "migrations_lockfile.txt")
    os.mkfifo(project / ".gitignore")
    os.mkfifo(project / "src" / ".gitignore")
    conf = project / "src" / "sentry" / "conf"
    conf.mkdir()
    (conf / "server.py").symlink_to("/dev/zero")
    db = project / "src" / "sentry" / "db"
    db.mkdir()
    (db / "router.py").symlink_to("/dev/zero")
    proc = run("check", "src", cwd=project)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "SML101" in proc.stdout


def test_cli_refuses_a_fifo_or_device_baseline_and_pyproject(project: Path) -> None:
    with (project / "pyproject.toml").open("a") as fh:
        fh.write("[tool.sentry-model-lint]\nbaseline = 'baseline.json'\n")
    os.mkfifo(project / "baseline.json")
    proc = run("check", "src", cwd=project)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "baseline.json" in proc.stderr
    (project / "pyproject.toml").unlink()
    (project / "pyproject.toml").symlink_to("/dev/zero")
    (project / ".git").mkdir()  # still the project root without a readable pyproject.toml
    proc = run("check", "src", cwd=project)
    assert proc.returncode in (1, 2) and "Traceback" not in proc.stderr


# --- B: patterns, coding cookies, deep TOML ---------------------------------------------------------


def test_gitignore_lines_pathspec_cannot_compile_are_skipped(project: Path) -> None:
    (project / ".gitignore").write_text("\\\nfoo\\\n!\n[z-a]\nsrc/sentry/models/skipped.py\n")
    (project / "src" / "sentry" / "models" / "skipped.py").write_text(MODEL.replace("Gadget", "Skipped"))
    proc = run("check", "src", cwd=project)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "gadget.py" in proc.stdout and "skipped.py" not in proc.stdout


@pytest.mark.parametrize(
    ("key", "toml"),
    [
        ("exclude", "exclude = ['\\']"),
        ("extend-exclude", "extend-exclude = ['[z-a]']"),
        ("per-file-ignores", "per-file-ignores = { 'foo\\' = ['SML1'] }"),
    ],
)
def test_invalid_configured_patterns_are_configuration_errors(project: Path, key: str, toml: str) -> None:
    (project / "pyproject.toml").write_text(f"[project]\nname = 'x'\n[tool.sentry-model-lint]\n{toml}\n")
    proc = run("check", "src", cwd=project)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"`{key}` pattern" in proc.stderr
    proc = flake8("--select", "SML", "src", cwd=project)
    assert "Traceback" not in proc.stderr
    assert f"`{key}` pattern" in proc.stderr
    assert "SML101" in proc.stdout


def test_unknown_or_non_text_coding_cookie_is_a_per_file_error(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sentry_model_lint.cli import main

    models = project / "src" / "sentry" / "models"
    (models / "puny.py").write_bytes(b"# -*- coding: punycode -*-\nx = 1\n")
    (models / "rot.py").write_bytes(b"# coding: rot13\nx = 1\n")
    (models / "nope.py").write_bytes(b"# coding: no-such-codec\nx = 1\n")
    monkeypatch.chdir(project)
    assert main(["check", "src"]) == 1
    out = capsys.readouterr().out
    for name in ("puny.py", "rot.py", "nope.py"):
        assert f"{name}:1:1: E999 cannot decode" in out, out
    assert "SML101" in out
    (models / "rot.py").unlink()  # flake8 itself fails on a non-text codec, before any plugin
    proc = flake8("--select", "SML,E9", "src", cwd=project)
    assert "Traceback" not in proc.stderr
    assert "SML101" in proc.stdout


def test_deeply_nested_toml_is_a_configuration_error(project: Path) -> None:
    deep = "[" * 5000 + "]" * 5000
    (project / "pyproject.toml").write_text(f"[project]\nname = 'x'\n[tool.sentry-model-lint]\nx = {deep}\n")
    proc = run("check", "src", cwd=project)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "nested too deeply" in proc.stderr
    proc = flake8("--select", "SML", "src", cwd=project)
    assert "Traceback" not in proc.stderr
    assert "SML101" in proc.stdout
