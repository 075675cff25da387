"""The book's pipeline, one verb per stage: ``python -m tools <verb>``.

    split      write each chapter's unexecuted per-framework notebooks to _build/split/
    check      fail if notebooks/ does not match book/ (says what each stale one needs)
    refresh    rewrite notebooks whose code is unchanged (prose edits), without executing
    execute    refresh, then execute the stale notebooks       [--framework] [--chapter]
    merge      write the merged pages (every framework's outputs) to _build/site/book/
    render     check, merge and build the website with Jupyter Book
    verify     nbval | cross-cpu | unit | gpu | figures | tolerances   (see tools/verify.py)
    report     wall and kernel CPU seconds per notebook and framework
    benchmark  headline figures over three seeds               [--framework] [--page]
    speed      chapter-2 models, published recipe vs the book's [--framework]
    test-latest  notebooks with the newest releases (tools/latest.py) --framework [--reuse]
    assignments, grade, lab   see tools/assignments.py, tools/grading.py and tools/lab.py

The book environment (.venv/book) runs every verb but ``verify unit|nbval``, which the
Makefile runs from the book environment too (they start each framework's interpreter),
and ``verify gpu|figures``, which a GPU machine's own Python runs (standard library,
nbformat and nbval only). Each verb imports only what it needs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _frameworks(args: argparse.Namespace) -> tuple[str, ...]:
    from tools.project import FRAMEWORKS

    return tuple(args.framework or FRAMEWORKS)


def main(argv: list[str] | None = None) -> int:
    from tools.project import BUILD, FRAMEWORKS, ROOT

    parser = argparse.ArgumentParser(prog="python -m tools", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="verb", required=True)
    selectable = {}
    for verb in ("split", "check", "refresh", "execute", "merge", "render", "report"):
        selectable[verb] = sub.add_parser(verb)
    for verb in ("split", "refresh", "execute"):
        selectable[verb].add_argument("--framework", choices=FRAMEWORKS, action="append",
                                      help="only this framework (repeatable; default all)")
        selectable[verb].add_argument("--chapter", action="append", default=[],
                                      help="only this chapter, e.g. ridership_rnns (repeatable)")
    verify = sub.add_parser("verify").add_subparsers(dest="what", required=True)
    nbval = verify.add_parser("nbval", help="every notebook through nbval, exact where it can be")
    nbval.add_argument("--framework", choices=FRAMEWORKS, action="append")
    nbval.add_argument("--results", type=Path, default=BUILD / "test-results",
                       help="where the run's figures and comparison plans go")
    cross = verify.add_parser("cross-cpu", help="notebooks as if on another CPU model (tools/cross_cpu.env)")
    cross.add_argument("--framework", choices=FRAMEWORKS, action="append")
    cross.add_argument("--chapter", action="append", default=[],
                       help="this chapter (repeatable; default: each framework's cheapest trained page)")
    cross.add_argument("--results", type=Path, default=BUILD / "test-results" / "cross-cpu")
    cross.add_argument("--env", type=Path, default=ROOT / "tools" / "cross_cpu.env",
                       help="the settings that emulate another CPU model")
    unit = verify.add_parser("unit", help="d2lmini's unit tests in a framework's environment")
    unit.add_argument("--framework", choices=FRAMEWORKS, required=True)
    unit.add_argument("--api-dump", type=Path, default=BUILD / "api")
    gpu = verify.add_parser("gpu", help="a framework's notebooks on a CUDA machine")
    figures = verify.add_parser("figures", help="a run's figures against the reference")
    for p in (gpu, figures):
        p.add_argument("--framework", choices=FRAMEWORKS, required=True)
        p.add_argument("--chapter", action="append", default=[])
    gpu.add_argument("--dry-run", action="store_true", help="the same path on the CPU")
    figures.add_argument("--results", type=Path, default=BUILD / "gpu" / "results")
    tolerances = verify.add_parser("tolerances", help="rewrite tools/gpu_tolerances.json")
    tolerances.add_argument("--results", type=Path, default=None)
    sub.add_parser("benchmark", add_help=False)
    sub.add_parser("assignments", add_help=False)
    sub.add_parser("grade", add_help=False)
    sub.add_parser("lab", add_help=False)
    speed = sub.add_parser("speed", help="published recipe vs the book's (tools/speed.py)")
    speed.add_argument("--framework", choices=FRAMEWORKS, action="append")
    latest = sub.add_parser("test-latest", help="notebooks with the newest releases (tools/latest.py)")
    latest.add_argument("--framework", choices=("pytorch", "tensorflow"), required=True)
    latest.add_argument("--reuse", action="store_true", help="keep an environment built before")
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("benchmark", "assignments", "grade", "lab"):  # their own options
        import importlib

        module = importlib.import_module(f"tools.{'grading' if argv[0] == 'grade' else argv[0]}")
        sys.argv = [f"python -m tools {argv[0]}", *argv[1:]]
        return module.main()
    args = parser.parse_args(argv)

    if args.verb == "split":
        from tools.split import write_split

        return write_split(_frameworks(args), tuple(args.chapter))
    if args.verb in ("check", "refresh", "execute", "report"):
        from tools import execute

        if args.verb == "check":
            return execute.check()
        if args.verb == "report":
            return execute.report()
        if args.verb == "execute":
            return execute.execute_notebooks(_frameworks(args), tuple(args.chapter))
        for state in execute.refresh_notebooks(_frameworks(args), tuple(args.chapter)):
            print(f"needs execution: {state.path} (make notebooks)")
        return 0
    if args.verb == "speed":
        from tools import speed

        return speed.main(_frameworks(args))
    if args.verb == "test-latest":
        from tools import latest as latest_releases

        return latest_releases.run(args.framework, skip_install=args.reuse)
    if args.verb in ("merge", "render"):
        from tools import render

        if args.verb == "merge":
            render.stage()
            print(f"merged pages: {render.SITE_SRC / 'book'}")
            return 0
        return render.render()
    from tools import verify as verifying

    if args.what == "nbval":
        return verifying.nbval(_frameworks(args), args.results.resolve())
    if args.what == "cross-cpu":
        return verifying.cross_cpu(_frameworks(args), args.chapter, args.results.resolve(), args.env)
    if args.what == "unit":
        return verifying.unit(args.framework, args.api_dump.resolve())
    if args.what == "gpu":
        return verifying.gpu(args.framework, args.chapter, args.dry_run)
    if args.what == "figures":
        return verifying.figures(args.framework, args.results, args.chapter)
    from tools.tolerances import RESULTS, write_tolerances

    path = write_tolerances(results=args.results or RESULTS)
    print(f"wrote {path}; review the diff, then commit it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
