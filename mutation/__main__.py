"""``python -m mutation``: mutate netmail, judge each mutant by the scenarios, report, gate.

    python -m mutation run                       # every mutant (about 40 min on 2 cores)
    python -m mutation run --sample 120 --fail-under 80   # the CI sample
    python -m mutation run --where netmail/replies.py     # one module (or FILE:LINE)
    python -m mutation run --keep-kills OLD.sqlite        # judge only OLD's survivors again
    python -m mutation report --markdown docs/mutation-survivors.md

Exit status: 0, 1 when the score is below ``--fail-under`` or the session is incomplete (a
mutant pending or not judged), 2 for bad input (a stale equivalence entry, a baseline that
does not pass, a ``--keep-kills`` session of another netmail).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import EQUIVALENT, ROOT
from .equivalence import EquivalenceError, load
from .execute import BaselineFailed, execute, judge_command
from .score import markdown, read, summary
from .session import SessionMismatch, check_source, create

DEFAULT_SESSION = ROOT / "reports" / "mutation" / "session.sqlite"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        equivalents = load(args.equivalent)
        if args.command == "run":
            create(args.session, equivalents, args.where, args.sample, args.keep_kills)
            command = judge_command(args.scenarios or [ROOT / "scenarios"])
            execute(args.session, command, args.workers, args.timeout, on_result=_progress)
        else:
            check_source(args.session)
    except (EquivalenceError, BaselineFailed, SessionMismatch) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    score = read(args.session, equivalents)
    print(summary(score))
    if args.markdown:
        args.markdown.write_text(markdown(score, args.title), encoding="utf-8")
    if not score.complete:
        print("error: the session is incomplete", file=sys.stderr)
        return 1
    if args.fail_under is not None and score.percent < args.fail_under:
        print(f"error: score {score.percent:.1f}% is below --fail-under {args.fail_under}%",
              file=sys.stderr)
        return 1
    return 0


def _progress(done: int, total: int) -> None:
    if done == total or done % 25 == 0:
        print(f"mutants: {done}/{total}", file=sys.stderr, flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mutation", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="create a session, judge its mutants, report")
    run.add_argument("--sample", type=int, metavar="N",
                     help="judge only N mutants, chosen by a stable hash")
    run.add_argument("--where", action="append", default=[], metavar="FILE[:LINE]",
                     help="judge only mutants in this file or on this line, repeatable")
    run.add_argument("--scenarios", action="append", type=Path, metavar="DIR",
                     help="the scenario files that judge (default: scenarios/)")
    run.add_argument("--keep-kills", type=Path, metavar="SESSION",
                     help="take the kills of an earlier session of the same netmail and judge "
                          "only its survivors (valid when scenarios were only added)")
    run.add_argument("--workers", type=int, default=2, help="mutants judged at once")
    run.add_argument("--timeout", type=float, default=120.0,
                     help="seconds before a mutant's run counts as hung (killed)")
    report = commands.add_parser("report", help="report an existing session")
    for command in (run, report):
        command.add_argument("--equivalent", type=Path, default=EQUIVALENT,
                             help="the reviewed equivalence list")
        command.add_argument("--session", type=Path, default=DEFAULT_SESSION)
        command.add_argument("--markdown", type=Path, metavar="FILE",
                             help="write the survivors, by module and line, as Markdown")
        command.add_argument("--title", default="Mutation testing: survivors")
        command.add_argument("--fail-under", type=float, metavar="PERCENT",
                             help="exit 1 when the score is below this")
    return parser


if __name__ == "__main__":
    sys.exit(main())
