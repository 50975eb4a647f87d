"""``rnnverify report``: derivation report (Markdown, offline HTML, LaTeX), written atomically."""

from __future__ import annotations

import argparse

from rnnverify.crosscheck.cli._common import (
    EXIT_CHECK_FAILED,
    EXIT_OK,
    add_device_argument,
    add_jobs_argument,
    add_seed_argument,
    document,
    emit_json,
    non_negative_int,
    parse_jobs,
    user_input,
)

#: stages of report.build.collect (lemmas, closed forms, figures, ...) for the progress bar
COLLECT_STAGES = 6
#: rough wall time on 2 CPU cores, verify included (start-line estimate)
REPORT_SECONDS = {"quick": 150.0, "full": 900.0}

HELP = "write the derivation report (Lemmas, closed forms, asymptotics, figures, verdicts)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="report", metavar="DIR",
                   help="output directory (default: report)")
    p.add_argument("--format", default="md,html,tex", help="comma list of md, html, tex")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--quick", dest="mode", action="store_const", const="quick",
                   help="smaller figures and Monte Carlo, verify --quick (default)")
    g.add_argument("--full", dest="mode", action="store_const", const="full",
                   help="full-size figures and Monte Carlo, verify --full")
    p.set_defaults(mode="quick")
    v = p.add_mutually_exclusive_group()
    v.add_argument("--from-verify", metavar="FILE",
                   help="read the verdict table from `rnnverify verify --json` output")
    v.add_argument("--no-verify", action="store_true", help="leave out the verdict table")
    p.add_argument("--only", metavar="GLOB", help="verdict table for claims matching GLOB only")
    add_seed_argument(p, "seed of every Monte Carlo part")
    add_device_argument(p)
    add_jobs_argument(p)
    p.add_argument("--results", default="benchmarks/results", metavar="DIR",
                   help="where copy-task curves (*.json) are read from")


def run(args: argparse.Namespace) -> int:
    """One process, or one rank of a torchrun launch: the Monte Carlo figures split their
    samples over the ranks (numerics.memory.distributed); only rank 0 prints and writes files."""
    from rnnverify.crosscheck.cli._common import InputError
    from rnnverify.crosscheck.cli.launch import run_command

    return run_command(lambda device: _run(args, device), args.device, bad_input=InputError)


def _run(args: argparse.Namespace, device_name: str) -> int:
    import json
    from pathlib import Path

    from rnnverify.crosscheck.report.options import parse_formats, validate_out_dir

    with user_input():
        formats = parse_formats(args.format)
        seed = non_negative_int(args.seed, "--seed")
        out = validate_out_dir(args.out)
        verify_json = None
        if args.from_verify is not None:
            try:
                verify_json = json.loads(Path(args.from_verify).read_text(encoding="utf-8"))
            except OSError as exc:
                raise ValueError(f"--from-verify: cannot read {args.from_verify!r}: "
                                 f"{exc.strerror}") from None
            except json.JSONDecodeError as exc:
                raise ValueError(f"--from-verify: not JSON ({exc.msg})") from None
            if not isinstance(verify_json, dict) or "claims" not in verify_json:
                raise ValueError("--from-verify: expected the output of `rnnverify verify --json`")
        if args.only is not None:
            from rnnverify.crosscheck.claims.ids import matching_ids

            matching_ids(args.only)  # validates the glob (ValueError lists the ids)
        device = "cpu"  # last: resolving the device imports torch
        if device_name != "cpu":
            from rnnverify.numerics.device import resolve_device

            device = str(resolve_device(device_name))
        jobs = parse_jobs(args.jobs, device)
    # torch and matplotlib only after the checks of the flags
    from rnnverify.crosscheck.cli.longwork import planned_work
    from rnnverify.crosscheck.report.build import collect, run_verify, write_report
    from rnnverify.numerics.memory.world import is_root

    run_suite = verify_json is None and not args.no_verify
    stages = COLLECT_STAGES + int(run_suite) + 1
    with planned_work("report", f"--{args.mode}, {', '.join(formats)}", stages, unit="stages",
                      estimate_s=REPORT_SECONDS[args.mode], json_mode=args.json) as progress:
        if run_suite:
            verify_json = run_verify(args.mode, seed, device, only=args.only, jobs=jobs)
            progress(1, "verify done")
        content = collect(mode=args.mode, seed=seed, device=device, verify_json=verify_json,
                          results_dir=args.results, progress=lambda stage: progress(1, stage))
        written = write_report(content, out, formats) if is_root() else []
        progress(1, "written")
    ok = verify_json is None or bool(verify_json.get("holds", True))
    if args.json:
        emit_json(document("report", {
            "out": str(out), "files": [str(p) for p in written], "formats": formats,
            "verdict": None if verify_json is None else ("holds" if ok else "fails"),
            "holds": None if verify_json is None else ok}))
    else:
        for p in written:
            print(f"wrote {p}")
    return EXIT_OK if ok else EXIT_CHECK_FAILED
