"""``sentry-model-lint info``: what the linter believes about a repository.

The project root, each app with its migrations folder, leaf migration and lockfile entry, the
capabilities read from the checkout (with the file each came from), the Django version, what
counts as shipped history, and the configuration in effect, as text or JSON. It reads what a
``check`` would read and changes nothing (the facts cache aside).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from sentry_model_lint.capabilities import for_root
from sentry_model_lint.config import Config
from sentry_model_lint.paths import find_root

if TYPE_CHECKING:
    from sentry_model_lint.replay import AppHistory


def gather(path: str, config: Config) -> dict[str, Any]:
    """Plain data describing the repository that holds ``path``."""
    absolute = os.path.abspath(path)
    root = find_root(absolute if os.path.isdir(absolute) else os.path.dirname(absolute))
    caps = for_root(root, config.capability_overrides)
    data: dict[str, Any] = {
        "root": root,
        "checkout": (
            "no Sentry checkout found (no src/sentry/db/models/base.py): today's Sentry is assumed"
            if caps.assumed
            else "Sentry checkout: capabilities read from its source"
        ),
        "capabilities": caps.describe(),
        "apps": [],
        "history": {
            "since": config.since,
            "history_floor": dict(config.history_floor),
            "squashed": {},
        },
        "configuration": _configuration(config),
    }
    if root is None or not config.project_index:
        data["apps_note"] = "project index off or no project root: apps are not read"
        return data
    from sentry_model_lint.project import index_for

    index = index_for(root, config, config.use_cache)
    lockfile = index.lockfile
    for folder, history in sorted(index.histories.items(), key=lambda item: item[1].label):
        entry = lockfile.entries.get(history.label) if lockfile is not None else None
        replaced = sorted(history.aliases)
        data["apps"].append(
            {
                "label": history.label,
                "migrations_folder": _folder(history, root) or folder,
                "migrations": len(history.nodes),
                "leaves": list(history.leaves),
                "lockfile": entry[0] if entry is not None else None,
                "replaced_by_squash": len(replaced),
                "followed": not history.uncertain,
            }
        )
        if replaced:
            data["history"]["squashed"][history.label] = sorted(set(history.aliases.values()))
    if lockfile is None:
        data["lockfile_note"] = "no migrations_lockfile.txt at the root"
    return data


def _folder(history: AppHistory, root: str) -> str | None:
    node = next(iter(history.nodes.values()), None)
    return os.path.relpath(os.path.dirname(node.path), root) if node is not None else None


def _configuration(config: Config) -> dict[str, Any]:
    out = asdict(config)
    return {key: value for key, value in out.items() if value not in (None, (), {}, [])}


def render(data: dict[str, Any], fmt: str = "text") -> str:
    if fmt == "json":
        return json.dumps(data, indent=2, sort_keys=True, default=list) + "\n"
    caps = data["capabilities"]
    lines = [f"project root: {data['root'] or '(none found)'}", data["checkout"], "", "capabilities:"]
    sources = caps["sources"]
    silo = ", ".join(caps["silo_decorators"]) or "(none)"
    lines.append(f"  silo decorators: {silo}  [{sources.get('silo_decorators', 'assumed')}]")
    flags = ", ".join(caps["post_deployment_flags"])
    lines.append(f"  post-deployment flag read: {flags}  [{sources.get('post_deployment_flags', 'assumed')}]")
    lines.append(f"  Django: {caps['django'] or 'unknown'}  [{sources.get('django', 'assumed')}]")
    for name in caps["defines"]:
        lines.append(f"  defines {name}  [{sources.get(name, 'assumed')}]")
    for name in caps["lacks"]:
        lines.append(f"  lacks {name}  [{sources.get(name, 'not found')}]")
    lines += ["", "apps:"]
    if not data["apps"]:
        lines.append(f"  {data.get('apps_note', '(no migrations found)')}")
    for app in data["apps"]:
        leaves = ", ".join(app["leaves"]) or "(none)"
        lock = app["lockfile"] or "(no entry)"
        extra = f", {app['replaced_by_squash']} replaced by a squash" if app["replaced_by_squash"] else ""
        followed = "" if app["followed"] else ", history not fully followed"
        lines.append(
            f"  {app['label']}: {app['migrations_folder']} ({app['migrations']} migrations{extra}{followed}); "
            f"leaf {leaves}; lockfile {lock}"
        )
    if "lockfile_note" in data:
        lines.append(f"  {data['lockfile_note']}")
    history = data["history"]
    lines += ["", "shipped history (no per-file SML2xx findings):"]
    lines.append(f"  since: {history['since'] or '(not set)'}")
    floors = ", ".join(f"{app} <= {number:04d}" for app, number in sorted(history["history_floor"].items()))
    lines.append(f"  history-floor: {floors or '(not set)'}")
    for app, squashes in sorted(history["squashed"].items()):
        lines.append(f"  {app}: migrations replaced by {', '.join(squashes)}")
    for key, value in sorted(history.items()):
        if key not in ("since", "history_floor", "squashed"):
            lines.append(f"  {key}: {value}")
    lines += ["", "configuration in effect:"]
    for key, value in sorted(data["configuration"].items()):
        lines.append(f"  {key} = {value!r}")
    return "\n".join(lines) + "\n"
