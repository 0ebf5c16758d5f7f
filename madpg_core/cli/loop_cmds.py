"""`madpg prelabel | models`: the model in the loop of a project."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("prelabel", help="pre-label a project's unreviewed records with a model")
    p.add_argument("project", type=Path)
    p.add_argument("--model", type=Path, help="checkpoint folder (default: the project's active model version)")
    p.add_argument("--records", help="comma-separated record ids (default: every record not reviewed)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.set_defaults(func=cmd_prelabel)

    p = sub.add_parser("models", help="list a project's model versions, or activate one (rollback)")
    p.add_argument("project", type=Path)
    p.add_argument("--activate", type=int, metavar="VERSION")
    p.set_defaults(func=cmd_models)


def cmd_prelabel(args: argparse.Namespace) -> int:
    from madpg_core import registry
    from madpg_core.cli.project_cmds import progress_bar
    from madpg_core.inference.predictor import Predictor
    from madpg_core.prelabel import prelabel, unreviewed_ids
    from madpg_core.storage.project import Project

    with Project.open(args.project) as project:
        if args.model:
            model_dir, label = args.model, f"file:{args.model.name}"
        else:
            version, model_dir = registry.active_model_dir(project)
            label = f"v{version.version}"
        predictor = Predictor.load(model_dir, device=args.device)
        ids = [int(x) for x in args.records.split(",")] if args.records else unreviewed_ids(project)
        with progress_bar("pre-labelling") as bar:
            report = prelabel(project, ids, predictor, label, on_progress=bar)
    print(f"pre-labelled {report.records} records with {label}: {report.spans} entities"
          + (f", {report.skipped_reviewed} reviewed records left as they were" if report.skipped_reviewed else ""))
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from madpg_core import registry
    from madpg_core.storage.project import Project

    with Project.open(args.project) as project:
        if args.activate is not None:
            registry.activate(project, args.activate)
            print(f"model version {args.activate} is now active")
        rows = registry.versions(project)
    if not rows:
        print("no model versions (and no bundled default model found)")
        return 0
    print(f"{'':2}{'version':>7}  {'preset':<16}{'train':>7}{'dev F1':>8}  created")
    for v in rows:
        f1 = ((v.metrics or {}).get("micro") or {}).get("f1")
        f1s = f"{100 * f1:.1f}" if isinstance(f1, (int, float)) else "-"
        print(f"{'*' if v.active else ' ':2}{v.version:>7}  {v.preset:<16}{v.train_size:>7}{f1s:>8}  {v.created_at}")
    return 0
