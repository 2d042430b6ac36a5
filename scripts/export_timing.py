"""Time each exporter on a pickled Assessment, so exports can be measured without rerunning the pipeline.

Two steps::

    # once per district (the 100k district under the heavy lock)
    flock /work/bench-data/heavy.lock python scripts/export_timing.py pickle \
        /work/bench-data/data_100000/sample/config.yml /work/bench-data/assessment_100k.pkl
    # then, as often as needed
    python scripts/export_timing.py time /work/bench-data/assessment_100k.pkl --formats xlsx,map
    python scripts/export_timing.py time /work/bench-data/assessment_100k.pkl --formats report --profile

Each writer runs on its own into a fresh temporary folder; the wall and CPU time (the CPU time is
the fairer figure on a shared, loaded machine), the file count and size and the peak memory
(``ru_maxrss`` of this process) are printed per format.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import pickle
import pstats
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ALL = ("gpkg", "csv", "shp", "xlsx", "map", "report")


def make_pickle(config: str, target: str) -> None:
    """Run :func:`nachverdichtung.pipeline.assess` once and pickle the Assessment."""
    from nachverdichtung.pipeline import assess

    t0 = time.perf_counter()
    assessment = assess(config)
    print(f"assess: {time.perf_counter() - t0:.1f} s, {len(assessment.areas)} Flächen")
    with open(target, "wb") as fh:
        pickle.dump(assessment, fh, protocol=pickle.HIGHEST_PROTOCOL)
    print(f"gespeichert: {target}")


def time_writers(path: str, formats: list[str], *, profile: bool, keep: str | None) -> None:
    """Time each writer of ``formats`` on the pickled Assessment."""
    from nachverdichtung.export import WRITERS

    with open(path, "rb") as fh:
        assessment = pickle.load(fh)
    print(f"{len(assessment.areas)} Flächen aus {path}")
    for fmt in formats:
        module, func = WRITERS[fmt].split(":")
        writer = getattr(importlib.import_module(module), func)
        folder = Path(tempfile.mkdtemp(prefix=f"export-{fmt}-", dir=keep))
        prof = cProfile.Profile() if profile else None
        t0, c0 = time.perf_counter(), time.process_time()
        if prof:
            prof.enable()
        files = writer(assessment, folder)
        if prof:
            prof.disable()
        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
        size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{fmt:7s} {dt:7.2f} s (CPU {cpu:6.2f} s)  {len(files or [])} Datei(en) {size / 1e6:7.1f} MB  "
              f"Spitze {peak:7.0f} MB  {folder}")
        if prof:
            pstats.Stats(prof).sort_stats("cumulative").print_stats(35)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pickle")
    p.add_argument("config")
    p.add_argument("target")
    t = sub.add_parser("time")
    t.add_argument("pickle")
    t.add_argument("--formats", default=",".join(ALL))
    t.add_argument("--profile", action="store_true")
    t.add_argument("--keep", default=None, help="folder for the outputs (default: system temp)")
    args = ap.parse_args(argv)
    if args.cmd == "pickle":
        make_pickle(args.config, args.target)
    else:
        time_writers(args.pickle, args.formats.split(","), profile=args.profile, keep=args.keep)


if __name__ == "__main__":
    main()
