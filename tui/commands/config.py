"""``storeroom config validate|show``."""

from __future__ import annotations

import argparse

from . import print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("config", help="check or show storeroom.yaml")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    v = actions.add_parser("validate", help="check the config; exit 2 with the reason if invalid")
    v.set_defaults(func=cmd_validate)
    s = actions.add_parser("show", help="print the effective config (passwords masked)")
    s.add_argument("--json", action="store_true")
    s.add_argument("--docs", action="store_true", help="list every key with its default and meaning")
    s.set_defaults(func=cmd_show)


def _config_path(args: argparse.Namespace):  # noqa: ANN202
    from backend.paths import WorkspacePaths, resolve_workspace

    return WorkspacePaths(resolve_workspace(args.workspace)).config


def cmd_validate(args: argparse.Namespace) -> int:
    from backend.config import load_settings

    path = _config_path(args)
    load_settings(path)
    state = "" if path.exists() else " (file missing: all defaults)"
    print(f"{path}: valid{state}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from backend.config import documented_keys, load_settings, settings_as_dict, settings_yaml

    if args.docs:
        for key, doc, default in documented_keys():
            print(f"{key:<32} {'' if default is None else default!s:<14} {doc}")
        return 0
    settings = load_settings(_config_path(args))
    if args.json:
        print_json(settings_as_dict(settings))
    else:
        print(settings_yaml(settings), end="")
    return 0
