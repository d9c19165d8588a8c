"""``eur1pdf batch``: many certificates (a JSON Lines file or a folder) into a folder of PDFs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from eur1pdf.cli.fill_options import add_fill_options, fill_options
from eur1pdf.cli.shared import Subparsers, UsageError
from eur1pdf.errors import Eur1pdfError
from eur1pdf.layouts import load_layout_file


def add_parser(subparsers: Subparsers) -> None:
    batch = subparsers.add_parser("batch", help="fill many certificates: a JSON Lines file or a folder")
    batch.add_argument(
        "input", help="JSON Lines file (one certificate a line) or a folder of .json/.yaml files"
    )
    batch.add_argument(
        "-o", "--output", required=True, metavar="OUTDIR", help="folder for the PDFs and manifest"
    )
    batch.add_argument(
        "--name",
        default="{serial}.pdf",
        metavar="TEMPLATE",
        help="output file names, e.g. '{serial}-{exporter.name}.pdf' (placeholders: "
        "{index} {serial} {form} {agreement} {issue_date} {exporter.name} {consignee.name} {stem})",
    )
    batch.add_argument("-j", "--jobs", type=int, default=None, help="worker processes (default: all cores)")
    batch.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="render on the Dask cluster of this scheduler (tcp://host:8786) instead of local processes; "
        "the PDFs and the manifest are written here (needs the [dask] extra)",
    )
    again = batch.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true", help="carry on an interrupted batch in OUTDIR")
    again.add_argument("--overwrite", action="store_true", help="start the batch in OUTDIR again")
    batch.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    add_fill_options(batch)
    batch.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Exit 0: all written; 1: some records failed (each in the manifest with its error);
    2: nothing could be read, or the output folder took no more (a full disk); 130: interrupted by
    Ctrl-C, 143: by SIGTERM (both after the record being written, the manifest ready for --resume)."""
    from eur1pdf.bulk.batch import BatchRefused, count_records, run_batch
    from eur1pdf.bulk.gc_tuning import tune_for_bulk
    from eur1pdf.bulk.progress import progress_for

    tune_for_bulk()  # this process is ours; with --jobs 1 it renders every record itself

    options = fill_options(args)
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs: give 1 or more processes")
    if args.jobs is not None and args.scheduler:
        raise UsageError("--jobs and --scheduler: the cluster has its own workers, give one or the other")
    layout = load_layout_file(args.layout) if args.layout else None
    source = Path(args.input)
    try:
        total = count_records(source)
    except OSError as exc:
        print(f"eur1pdf: error: {args.input}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    try:
        cluster = _connect(args.scheduler) if args.scheduler else None  # before anything is written
    except Eur1pdfError as exc:  # the scheduler does not answer: nothing read or written
        print(f"eur1pdf: error: {exc}", file=sys.stderr)
        return 2
    progress = None if args.quiet else progress_for(total)
    try:
        summary = run_batch(
            source,
            args.output,
            options,
            name_template=args.name,
            jobs=args.jobs,
            resume=args.resume,
            overwrite=args.overwrite,
            layout=layout,
            blank=args.blank,
            progress=progress,
            executor=cluster,
        )
    except BatchRefused as exc:
        print(f"eur1pdf: error: {exc}", file=sys.stderr)
        return 2
    finally:
        if progress is not None:
            progress.close()
        if cluster is not None:
            cluster.close()
    for entry in summary.failures:
        print(f"eur1pdf: record {entry.record} failed: {entry.error}", file=sys.stderr)
    done = f"{summary.written} written, {summary.skipped} already there, {summary.failed} failed"
    if summary.interrupted:
        print(f"eur1pdf: interrupted: {done}; `--resume` carries on", file=sys.stderr)
    elif summary.stopped:
        print(
            f"eur1pdf: error: the batch stopped: {summary.stopped}: {done}, {summary.not_done} not done; "
            f"manifest {summary.manifest} lists what was written; `--resume` carries on once there is room",
            file=sys.stderr,
        )
    else:
        print(f"{summary.total} records: {done}; manifest {summary.manifest}")
    return summary.exit_code


def _connect(address: str) -> Any:
    """A client of the Dask scheduler at ``address`` (a ClusterError when it does not answer)."""
    from eur1pdf.bulk.dask_runner import connect_scheduler

    return connect_scheduler(address)
