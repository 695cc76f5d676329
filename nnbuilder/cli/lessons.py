"""``nnbuilder lessons [--json]``: the lessons the window offers (Help >
Lessons), with their steps; a lesson file that cannot be used is listed
with the reason, and makes the exit status 2."""
from __future__ import annotations

import json
import sys

from nnbuilder.cli.common import EXIT_BAD_INPUT


def _step_dict(step) -> dict:
    from nnbuilder.core.teaching.lessons import text_plain

    return {"title": step.title, "text": text_plain(step.text),
            "task": None if step.task is None else text_plain(step.task),
            "network": step.network if isinstance(step.network, str) or step.network is None else "inline",
            "data": step.data, "set": step.set, "check": step.check,
            "noticed_when": step.checks_text() or None}


def cmd_lessons(args) -> int:
    from nnbuilder.core.teaching.lessons import lesson_entries

    entries = lesson_entries(args.folder)
    broken = [e for e in entries if e.lesson is None]
    if args.json:
        print(json.dumps([{"id": e.id, "title": e.lesson.title, "summary": e.lesson.summary,
                           "steps": [_step_dict(s) for s in e.lesson.steps]} if e.lesson else
                          {"id": e.id, "error": e.error} for e in entries], indent=1, ensure_ascii=False))
    else:
        for e in entries:
            if e.lesson is None:
                continue
            print(f"{e.id}: {e.lesson.title}")
            print(f"  {e.lesson.summary}")
            for i, s in enumerate(e.lesson.steps, 1):
                noticed = s.checks_text()
                print(f"  {i}. {s.title}" + (f"  [done when {noticed}]" if noticed else ""))
        if not entries:
            print("no lessons found")
    for e in broken:
        print(f"nnbuilder: lesson {e.error}", file=sys.stderr)
    return EXIT_BAD_INPUT if broken else 0


def register(sub) -> None:
    s = sub.add_parser("lessons", help="the guided lessons (Help > Lessons in the window) and their steps")
    s.add_argument("--json", action="store_true", help="every lesson with its steps as JSON")
    s.add_argument("--folder", metavar="DIR",
                   help="read the lesson files of DIR instead of the app's own (to check lessons you write)")
    s.set_defaults(func=cmd_lessons)
