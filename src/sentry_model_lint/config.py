"""Configuration: rule selection and import aliases, from ``[tool.sentry-model-lint]``.

Selection follows flake8's decision rules so both front doors agree: a code is on when it is on
by default or matches an explicit ``select``/``extend-select`` prefix, and off when it matches an
``ignore`` prefix; when both match, the longer prefix wins (a tie ignores). Naming a default-off
rule (or a prefix of it) in ``select`` turns it on, as ``flake8 --select`` does.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sentry_model_lint.files import read_bytes

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

SECTION = "sentry-model-lint"


class ConfigError(Exception):
    """A configuration file or option that cannot be used; the message names the culprit."""


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] | None = None  # None: the default selection
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    #: ``extend-ignore``: disabled on top of ``ignore`` (a command line ``--ignore`` keeps them)
    extend_ignore: tuple[str, ...] = ()
    import_aliases: Mapping[str, str] = field(default_factory=dict)
    #: tables (or "app.model" labels) that are large enough to need post-deployment indexes
    large_tables: tuple[str, ...] = ()
    #: build the project index and run the SML4xx rules (and cross-file inheritance)
    project_index: bool = True
    use_cache: bool = True
    exclude: tuple[str, ...] | None = None  # None: the default exclusions
    extend_exclude: tuple[str, ...] = ()
    #: gitignore-style pattern -> code prefixes ignored in matching files
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    baseline: str | None = None  # path of the baseline file, relative to the project root
    #: git ref: migrations added since the merge-base of HEAD and this ref are new work; older
    #: ones are shipped history, which the per-file SML2xx rules leave alone
    since: str | None = None
    #: app label -> migration number at or below which the app's migrations are history
    history_floor: Mapping[str, int] = field(default_factory=dict)
    #: ``[tool.sentry-model-lint.capabilities]``: what the checkout provides, where detection
    #: is wrong (validated by ``capabilities.parse_overrides``)
    capability_overrides: Mapping[str, Any] = field(default_factory=dict)

    def ignored_in(self, relpath: str) -> tuple[str, ...]:
        """Code prefixes that ``per-file-ignores`` turns off for a path (relative, posix)."""
        if not self.per_file_ignores:
            return ()
        import pathspec

        out: list[str] = []
        for pattern, codes in self.per_file_ignores:
            if pathspec.GitIgnoreSpec.from_lines([pattern]).match_file(relpath):
                out.extend(codes)
        return tuple(out)

    def is_enabled(self, code: str, default_on: bool) -> bool:
        explicit = (*(self.select or ()), *self.extend_select)
        selected = _longest_prefix(code, explicit)
        ignored = _longest_prefix(code, (*self.ignore, *self.extend_ignore))
        if selected is not None and ignored is not None:
            return len(selected) > len(ignored)
        if ignored is not None:
            return False
        if selected is not None:
            return True
        if self.select is not None:
            return False
        return default_on

    def with_options(self, **changes: Any) -> Config:
        return replace(self, **changes)


def _longest_prefix(code: str, prefixes: Iterable[str]) -> str | None:
    best = None
    for prefix in prefixes:
        if code.startswith(prefix) and (best is None or len(prefix) > len(best)):
            best = prefix
    return best


def parse_codes(value: object, key: str) -> tuple[str, ...]:
    """A list of code prefixes, from a TOML list or a comma/space separated string."""
    if isinstance(value, str):
        items = [v for v in value.replace(",", " ").split() if v]
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        items = [v.strip() for v in value if v.strip()]
    else:
        raise ConfigError(f'`{key}` must be a list of rule codes, like ["SML1", "SML210"]')
    for item in items:
        if item.upper() != "ALL" and not _SELECTOR.fullmatch(item.upper()):
            raise ConfigError(
                f"`{key}`: {item!r} matches no rule (codes are SML101 to SML499; a prefix such as SML1 or SML21 selects a family)"
            )
    return tuple("SML" if i.upper() == "ALL" else i.upper() for i in items)


#: a rule code or a prefix of one: SML, SML1 .. SML4, SML10 .. SML49, SML101 .. SML499
_SELECTOR = re.compile(r"SML(?:[1-4]\d{0,2})?")


def from_mapping(data: Mapping[str, Any], source: str = "configuration") -> Config:
    known = {
        "select",
        "extend-select",
        "ignore",
        "extend-ignore",
        "import-aliases",
        "large-tables",
        "project-index",
        "cache",
        "exclude",
        "extend-exclude",
        "per-file-ignores",
        "extend-per-file-ignores",
        "baseline",
        "since",
        "history-floor",
        "capabilities",
    }
    for key in ("project-index", "cache"):
        if key in data and not isinstance(data[key], bool):
            raise ConfigError(f"{source}: `{key}` must be true or false")
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{source}: unknown key `{unknown[0]}` in [tool.{SECTION}]")
    aliases = data.get("import-aliases", {})
    if not isinstance(aliases, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in aliases.items()):
        raise ConfigError(f"{source}: `import-aliases` must be a table of dotted name = dotted name")
    large = data.get("large-tables", [])
    if isinstance(large, str):
        large = [t for t in large.replace(",", " ").split() if t]
    if not isinstance(large, list) or not all(isinstance(t, str) and t.strip() for t in large):
        raise ConfigError(f'{source}: `large-tables` must be a list of table names, like ["sentry_groupedmessage"]')
    patterns = {}
    for key in ("exclude", "extend-exclude"):
        value = data.get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise ConfigError(f"{source}: `{key}` must be a list of gitignore-style patterns")
        patterns[key] = tuple(value) if value is not None else None
    per_file: tuple[tuple[str, tuple[str, ...]], ...] = ()
    for key in ("per-file-ignores", "extend-per-file-ignores"):
        pfi = data.get(key, {})
        if not isinstance(pfi, dict):
            raise ConfigError(f"{source}: `{key}` must be a table of pattern = [codes]")
        per_file += tuple((str(k), parse_codes(v, f"{key}.{k}")) for k, v in pfi.items())
    from sentry_model_lint.discover import check_pattern

    for key, pats in (
        ("exclude", patterns["exclude"] or ()),
        ("extend-exclude", patterns["extend-exclude"] or ()),
        ("per-file-ignores", [k for k, _ in per_file]),
    ):
        for pattern in pats:
            problem = check_pattern(pattern)
            if problem is not None:
                raise ConfigError(f"{source}: `{key}` pattern {pattern!r} is not a valid gitignore-style pattern: {problem}")
    baseline = data.get("baseline")
    if baseline is not None and (not isinstance(baseline, str) or not baseline.strip()):
        raise ConfigError(f"{source}: `baseline` must be a file path")
    since = data.get("since")
    if since is not None and (not isinstance(since, str) or not since.strip() or since.startswith("-")):
        raise ConfigError(f'{source}: `since` must be a git ref, like "origin/master"')
    history_floor = _history_floor(data.get("history-floor", {}), source)
    overrides = data.get("capabilities", {})
    if not isinstance(overrides, dict):
        raise ConfigError(f"{source}: `capabilities` must be a table")
    from sentry_model_lint.capabilities import parse_overrides

    try:
        parse_overrides(overrides)
    except ValueError as exc:
        raise ConfigError(f"{source}: [tool.{SECTION}.capabilities]: {exc}") from None
    return Config(
        since=since.strip() if since else None,
        history_floor=history_floor,
        capability_overrides=dict(overrides),
        exclude=patterns["exclude"],
        extend_exclude=patterns["extend-exclude"] or (),
        per_file_ignores=per_file,
        baseline=baseline,
        large_tables=tuple(t.strip().lower() for t in large),
        project_index=data.get("project-index", True),
        use_cache=data.get("cache", True),
        select=parse_codes(data["select"], "select") if "select" in data else None,
        extend_select=parse_codes(data.get("extend-select", []), "extend-select"),
        ignore=parse_codes(data.get("ignore", []), "ignore"),
        extend_ignore=parse_codes(data.get("extend-ignore", []), "extend-ignore"),
        import_aliases=dict(aliases),
    )


def _history_floor(value: object, source: str) -> dict[str, int]:
    """``{"sentry": "0583"}`` (a migration number, or a migration name that starts with one)."""
    message = f'{source}: `history-floor` must be a table of app label = migration number, like {{ sentry = "0583" }}'
    if not isinstance(value, dict):
        raise ConfigError(message)
    floors = {}
    for app, number in value.items():
        text = str(number) if isinstance(number, int) and not isinstance(number, bool) else number
        if not isinstance(text, str) or not text[:1].isdigit():
            raise ConfigError(message)
        digits = text.split("_", 1)[0]
        if not digits.isdigit():
            raise ConfigError(message)
        floors[str(app)] = int(digits)
    return floors


def lenient_mapping(data: Mapping[str, Any], source: str) -> tuple[Config, list[str]]:
    """Like :func:`from_mapping`, but a key that is unknown or has a bad value is left out with
    a warning (returned) instead of failing the whole table: the flake8 plugin, which must not
    stop flake8, keeps every other setting (the baseline above all)."""
    warnings = []
    kept = {}
    for key, value in data.items():
        try:
            from_mapping({key: value}, source)
        except ConfigError as exc:
            warnings.append(f"{exc}; that key is ignored")
        else:
            kept[key] = value
    try:
        return from_mapping(kept, source), warnings
    except ConfigError as exc:  # keys that are fine alone but not together
        return Config(), [*warnings, f"{exc} (using the defaults)"]


def read_section(path: str) -> Mapping[str, Any]:
    """The ``[tool.sentry-model-lint]`` table of a ``pyproject.toml`` ({} if absent)."""
    try:
        data = tomllib.loads(read_bytes(path).decode("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid TOML: nested too deeply") from None
    section = data.get("tool", {}).get(SECTION, {}) if isinstance(data.get("tool"), dict) else {}
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [tool.{SECTION}] must be a table")
    return section


def load_pyproject(path: str) -> Config:
    """Read ``[tool.sentry-model-lint]`` from a ``pyproject.toml`` (empty Config if absent)."""
    return from_mapping(read_section(path), path)


def load_for_root(root: str | None) -> Config:
    if root is None:
        return Config()
    return load_pyproject(os.path.join(root, "pyproject.toml"))


def load_leniently(root: str | None) -> tuple[Config, list[str]]:
    """The configuration of ``root`` for the flake8 plugin, with warnings for what was left out
    (a file that cannot be read or parsed: the defaults)."""
    if root is None:
        return Config(), []
    path = os.path.join(root, "pyproject.toml")
    try:
        section = read_section(path)
    except ConfigError as exc:
        return Config(), [f"{exc} (using the defaults)"]
    return lenient_mapping(section, path)
