"""The command line, in process and as a subprocess."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sentry_model_lint.cli import main
from sentry_model_lint.docs import render_markdown_table

REPO = Path(__file__).resolve().parent.parent

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
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "src" / "sentry" / "models").mkdir(parents=True)
    return tmp_path


def write(project: Path, text: str, name: str = "widget.py") -> Path:
    path = project / "src" / "sentry" / "models" / name
    path.write_text(text)
    return path


def test_findings_exit_1_with_flake8_style_lines(project: Path, capsys) -> None:
    path = write(project, BAD_MODEL)
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert f"{path}:6:1: SML101 model `Widget` has no `__relocation_scope__`" in out[0]
    assert out[1].startswith(f"{path}:7:39: SML130 ")
    assert len(out) == 2  # SML135 is off by default


def test_clean_exit_0(project: Path, capsys) -> None:
    write(project, "x = 1\n")
    assert main(["check", str(project)]) == 0
    assert capsys.readouterr().out == ""


def test_select_and_ignore(project: Path, capsys) -> None:
    path = write(project, BAD_MODEL)
    assert main(["check", "--select", "SML135", str(path)]) == 1
    assert [line.split()[1] for line in capsys.readouterr().out.splitlines()] == ["SML135"]
    assert main(["check", "--ignore", "SML1", str(path)]) == 0
    assert main(["check", "--exit-zero", str(path)]) == 0


def test_pyproject_selection_is_read(project: Path, capsys) -> None:
    (project / "pyproject.toml").write_text("[tool.sentry-model-lint]\nignore = ['SML130']\n")
    path = write(project, BAD_MODEL)
    assert main(["check", str(path)]) == 1
    assert [line.split()[1] for line in capsys.readouterr().out.splitlines()] == ["SML101"]


def test_broken_config_is_a_usage_error(project: Path, capsys) -> None:
    (project / "pyproject.toml").write_text("[tool.sentry-model-lint\n")
    write(project, BAD_MODEL)
    assert main(["check", str(project)]) == 2
    assert "configuration error" in capsys.readouterr().err
    (project / "pyproject.toml").write_text("[tool.sentry-model-lint]\nselet = ['SML1']\n")
    assert main(["check", str(project)]) == 2
    assert "unknown key `selet`" in capsys.readouterr().err


def test_noqa_is_honoured(project: Path, capsys) -> None:
    path = write(project, BAD_MODEL.replace("class Widget(Model):", "class Widget(Model):  # noqa: SML101"))
    assert main(["check", str(path)]) == 1
    assert [line.split()[1] for line in capsys.readouterr().out.splitlines()] == ["SML130"]
    write(project, "# flake8: noqa\n" + BAD_MODEL)
    assert main(["check", str(path)]) == 0


def test_syntax_error_is_reported_and_others_still_checked(project: Path, capsys) -> None:
    write(project, "class (:\n", "broken.py")
    write(project, BAD_MODEL)
    assert main(["check", str(project)]) == 1
    out = capsys.readouterr().out
    assert "E999 SyntaxError" in out and "SML101" in out


def test_missing_path_and_bad_options_exit_2(project: Path, capsys) -> None:
    assert main(["check", str(project / "nope.py")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["check", "--select", "E501", str(project)]) == 2
    assert main(["frobnicate"]) == 2
    assert main(["rule", "SML999"]) == 2


def test_rule_docs(capsys) -> None:
    assert main(["rule", "sml101"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("SML101 missing-relocation-scope")
    assert "# expect" not in text and "Use instead" in text
    assert main(["rules"]) == 0
    assert "SML138" in capsys.readouterr().out


def test_module_entry_point(project: Path) -> None:
    path = write(project, BAD_MODEL)
    proc = subprocess.run([sys.executable, "-m", "sentry_model_lint", "check", str(path)], capture_output=True, text=True)
    assert proc.returncode == 1 and "SML101" in proc.stdout and proc.stderr == ""


def test_readme_rule_table_is_current() -> None:
    readme = (REPO / "README.md").read_text()
    start = readme.index("<!-- rules:start -->\n") + len("<!-- rules:start -->\n")
    end = readme.index("<!-- rules:end -->")
    assert readme[start:end] == render_markdown_table(), "regenerate the README table from the registry"


def test_broken_file_elsewhere_is_a_warning_and_no_project_turns_the_index_off(tmp_path: Path, capsys) -> None:
    import shutil

    repo = tmp_path / "repo"
    shutil.copytree(REPO / "fixtures" / "example_repo", repo, ignore=shutil.ignore_patterns(".sentry_model_lint_cache"))
    (repo / "src" / "sentry" / "workflow_engine" / "migrations" / "zz_broken.py").write_text("def (:\n")
    leaf = repo / "src/sentry/workflow_engine/migrations/0005_detector_autovacuum_settings.py"
    assert main(["check", str(leaf)]) == 1
    captured = capsys.readouterr()
    assert "SML404" in captured.out
    assert "zz_broken.py" in captured.err and "warning" in captured.err and "Traceback" not in captured.err
    assert main(["check", "--no-project", str(leaf)]) == 1
    assert "SML404" not in capsys.readouterr().out
