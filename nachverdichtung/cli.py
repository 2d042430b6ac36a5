"""Command line: ``nachverdichtung sample | validate | assess | sensitivitaet | demo | init | layers | report |
beteiligung``.

Exit codes: 0 ok, 2 bad input or configuration (one line naming the file and the fix, no
traceback), 1 internal error.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from pathlib import Path

from . import __version__
from .beteiligung.commands import add_parser as add_beteiligung_parser
from .errors import InputError, NachverdichtungError
from .export import check_formats

__all__ = ["main"]

DEFAULT_SAMPLE = Path("data/raw/sample")
DEFAULT_DEMO_OUT = Path("data/processed/sample")


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every ``finally`` (staging folders, the lock) runs."""


def _on_sigterm(signum, frame):  # pragma: no cover - exercised in a subprocess test
    raise Terminated()


class Progress:
    """Prints each step with the elapsed time to stderr (a callback any GUI can replace)."""

    def __init__(self, quiet: bool = False) -> None:
        self.t0 = time.perf_counter()
        self.quiet = quiet

    def __call__(self, message: str) -> None:
        if not self.quiet:
            print(f"[{time.perf_counter() - self.t0:6.1f} s] {message} …", file=sys.stderr, flush=True)


def _cmd_sample(args) -> int:
    from .sample import generate_sample

    say = Progress(args.quiet)
    config = generate_sample(args.out, n_parcels=args.parcels, seed=args.seed, progress=say)
    print(f"Beispielquartier geschrieben: {config}")
    return 0


def _cmd_validate(args) -> int:
    from .config import load_config
    from .layers import load_layers

    config = load_config(args.config)
    from .config import missing_paths

    missing = missing_paths(config)
    if missing:
        from .errors import ConfigError

        key, path = missing[0]
        raise ConfigError(f"Datei nicht gefunden: {path}", file=config.file, key=key,
                          fix="Pfad korrigieren (relativ zur Konfigurationsdatei) oder den Eintrag entfernen")
    layers = load_layers(config, progress=Progress(args.quiet))
    print(f"Konfiguration in Ordnung: {args.config}")
    for role in ("parcels", "buildings", "roads", "landuse"):
        print(f"  {role:10s} {len(getattr(layers, role)):>9,d} Objekte".replace(",", "."))
    for name, gdf in layers.vectors.items():
        print(f"  {name:10s} {len(gdf):>9,d} Objekte".replace(",", "."))
    for name, r in layers.rasters.items():
        print(f"  {name:10s} Raster {r.display}, Zellgröße {r.res[0]:g} m")
    for msg in layers.problems:
        print(f"  Hinweis: {msg}")
    if config.owners is not None:  # counts only: owner data is never printed
        from .beteiligung.owners import read_owners

        owners = read_owners(config.owners)
        n_a, n_p = (f"{n:,d}".replace(",", ".") for n in (len(owners.addressees), owners.holdings["flstkennz"].nunique()))
        print(f"  Eigentümer {n_a:>7s} Adressaten zu {n_p} Flurstücken ({Path(owners.source).name}, nur für 'beteiligung')")
        for msg in owners.problems:
            print(f"  Hinweis: {msg}")
    return 0


def _run_assessment(config_path: Path, out: Path, *, quiet: bool, formats=None, public: bool = False,
                    engine=None) -> int:
    from .config import load_config
    from .export import write_outputs
    from .beteiligung.state import attach_state
    from .export.guard import claimed_output_folder
    from .pipeline import assess

    say = Progress(quiet)
    config = load_config(config_path)
    # before any work: never into the delivery, never an unwritable folder, never two runs at once
    with claimed_output_folder(out, config) as out:
        result = assess(config, progress=say) if engine is None else engine(config, say)
        if not public:  # participation state from the internal store, if a round ran there
            result = attach_state(result, out)
        written = write_outputs(result, out, formats=formats, progress=say)
    print(summary_text(result))
    print(f"\nAusgaben in {out}:")
    for p in written:
        print(f"  {p.name}")
    return 0


def summary_text(result) -> str:
    """The end-of-run summary: class counts, deciding criteria, parcel accounting."""
    counts = result.class_counts()
    n = int(counts.sum())
    lines = [f"\n{n} Potenzialflächen bewertet", f"  {'Klasse':20s} {'Anzahl':>7s} {'Anteil':>7s}"]
    for k, v in counts.items():
        share = f"{100 * v / n:5.1f} %" if n else "    – "
        lines.append(f"  {k:20s} {v:7d} {share.replace('.', ','):>7s}")
    dec = result.decision_counts()
    if len(dec):
        lines.append("\nEntscheidende Kriterien (Häufigkeit)")
        titles = result.titles()
        for name, v in dec.items():
            lines.append(f"  {titles.get(name, name):20s} {int(v):7d}")
    acc = result.parcels
    n_cand = int((acc["status"] == "Kandidat").sum())
    n_excl = int((acc["status"] == "ausgeschlossen").sum())
    lines.append(f"\nFlurstücke: {len(acc)} eingelesen = {n_cand} in Potenzialflächen + {n_excl} ausgeschlossen (mit Grund)")
    if result.layers.problems:
        lines.append(f"Hinweise zu den Eingangsdaten: {len(result.layers.problems)} (siehe protokoll.txt)")
    return "\n".join(lines)


def _cmd_assess(args) -> int:
    formats = check_formats(args.formats.split(",")) if args.formats else None  # before any work
    if args.engine != "dask":
        return _run_assessment(Path(args.config), Path(args.out), quiet=args.quiet, formats=formats,
                               public=args.oeffentlich)
    from .engine import assess_partitioned, start_client

    with start_client(workers=args.workers, scheduler=args.scheduler) as client:
        def run(config, say):
            return assess_partitioned(config, tile_size_m=args.tile_size, scheduler=client, progress=say)

        return _run_assessment(Path(args.config), Path(args.out), quiet=args.quiet, formats=formats,
                               public=args.oeffentlich, engine=run)


def _positive_int(text: str) -> int:
    """A worker count ≥ 1 (a usage error otherwise, exit 2)."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"ganze Zahl ≥ 1 erwartet, nicht {text!r}")
    return int(text)


def _steps(text: str) -> tuple[float, ...]:
    """``"-20,-10,10,20"`` (percent) → ``(-0.2, -0.1, 0.1, 0.2)``; a bad list is a usage error (exit 2)."""
    try:
        steps = tuple(float(x.strip().replace("%", "")) / 100.0 for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"keine Liste von Prozentwerten: {text!r} (z. B. -20,-10,10,20)") from None
    if not steps or any(s <= -1.0 for s in steps):
        raise argparse.ArgumentTypeError(f"Schritte müssen größer als -100 sein: {text!r}")
    return steps


def _cmd_sensitivity(args) -> int:
    import os
    import shutil
    import tempfile

    from .config import load_config
    from .export.decision import tornado_rows, write_sensitivity
    from .pipeline import assess
    from .sensitivity import sensitivity

    say = Progress(args.quiet)
    config = load_config(args.config)
    result = assess(config, progress=say)
    say("Schwellen variieren (Neubewertung der gespeicherten Messwerte)")
    t0 = time.perf_counter()
    table = sensitivity(result.areas, dict(config.criteria), missing=config.rating.missing,
                        advisory=config.rating.advisory, factors=args.schritte, scenarios=config.scenarios)
    seconds = time.perf_counter() - t0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".nachverdichtung-", dir=out))
    try:
        written = [out / p.name for p in write_sensitivity(table, staging, sep=config.output.csv_separator,
                                                           decimal=config.output.csv_decimal)]
        for p in written:
            os.replace(staging / p.name, p)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    n_var = int((table["parameter"] != "").sum())
    n_thr = len(table.loc[table["parameter"] != "", ["kriterium", "parameter"]].drop_duplicates())
    secs = f"{seconds:.2f}".replace(".", ",")
    print(f"\n{len(result.areas)} Flächen, {n_thr} Schwellen, {n_var} Varianten neu bewertet in {secs} s "
          "(ohne Geometrie)")
    print("Schwellen, die die meisten Flächen bewegen (andere Gesamtklasse bei −20 % / +20 %):")
    for label, lo, hi in tornado_rows(table, 10):
        print(f"  {label:60s} {lo:6d} {hi:6d}")
    print(f"\nAusgaben in {out}:")
    for p in written:
        print(f"  {p.name}")
    return 0


def _cmd_demo(args) -> int:
    from .sample import generate_sample

    say = Progress(args.quiet)
    say("Beispielquartier erzeugen")
    config = generate_sample(args.data, progress=say)
    return _run_assessment(config, Path(args.out), quiet=args.quiet)


def _cmd_init(args) -> int:
    from .scan import write_init_config

    path = write_init_config(args.folder, args.out)
    print(f"Konfiguration geschrieben: {path}")
    print(path.read_text(encoding="utf-8"))
    return 0


def _cmd_layers(args) -> int:
    from .io.postgis import is_database_url

    if is_database_url(args.file):
        return _list_database_tables(args.file)
    path = Path(args.file)
    if path.suffix.lower() == ".dxf":
        from .io.dxf import list_dxf_layers

        table = list_dxf_layers(path)
        print(table.to_string(index=False))
        return 0
    import pyogrio

    from .io.vector import list_layers

    for name in list_layers(path):
        target = path / f"{name}.shp" if path.is_dir() else path
        info = pyogrio.read_info(target, layer=None if path.is_dir() else name)
        print(f"{name:40s} {info['geometry_type'] or '-':18s} {info['features']:>9d}  "
              f"{', '.join(info['fields'][:8])}")
    return 0


def _list_database_tables(url: str) -> int:
    from .io.postgis import DatabaseSource, table_columns

    source = DatabaseSource(url)
    try:
        with source.conn.cursor() as cur:
            cur.execute("SELECT f_table_name, type, srid FROM geometry_columns WHERE f_table_schema = %s",
                        (source.schema,))
            geometry = {name: f"{kind} (EPSG:{srid})" for name, kind, srid in cur.fetchall()}
        for name in source.layers():
            print(f"{name:40s} {geometry.get(name, '-'):28s} "
                  f"{', '.join(table_columns(source.conn, source.schema, name)[:8])}")
    finally:
        source.close()
    return 0


def _cmd_report(args) -> int:
    from .export.guard import output_lock
    from .reporting import rerender_report

    if not Path(args.outdir).is_dir():
        raise InputError("Ausgabeordner nicht gefunden", file=args.outdir,
                         fix="den Ordner eines fertigen Laufs angeben (mit nachverdichtung.gpkg)")
    with output_lock(Path(args.outdir)):
        for path in rerender_report(args.outdir, progress=Progress(args.quiet)):
            print(f"geschrieben: {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    p = argparse.ArgumentParser(
        prog="nachverdichtung",
        description="Potenziale für Bauen in zweiter Reihe finden und bewerten (ALKIS → Karte, Bericht, GIS-Layer).",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument("--debug", action="store_true", help="bei internen Fehlern den Traceback zeigen")
    sub = p.add_subparsers(dest="command", required=True, metavar="BEFEHL")

    s = sub.add_parser("sample", help="synthetisches Beispielquartier erzeugen")
    s.add_argument("--parcels", type=int, default=1500, help="Anzahl Flurstücke (Standard 1500)")
    s.add_argument("--seed", type=int, default=42, help="Zufallsstartwert (Standard 42)")
    s.add_argument("--out", type=Path, default=DEFAULT_SAMPLE, help=f"Zielordner (Standard {DEFAULT_SAMPLE})")
    s.add_argument("-q", "--quiet", action="store_true", help="keine Fortschrittsmeldungen")
    s.set_defaults(func=_cmd_sample)

    v = sub.add_parser("validate", help="Konfiguration und Eingangsdaten prüfen, ohne zu bewerten")
    v.add_argument("config", type=Path, help="config.yml")
    v.add_argument("-q", "--quiet", action="store_true", help="keine Fortschrittsmeldungen")
    v.set_defaults(func=_cmd_validate)

    a = sub.add_parser("assess", help="Flächen ableiten, bewerten und alle Ausgaben schreiben")
    a.add_argument("config", type=Path, help="config.yml")
    a.add_argument("--out", type=Path, required=True, help="Ausgabeordner")
    a.add_argument("--formats", help="Ausgabeformate, z. B. gpkg,csv (Standard aus der Konfiguration)")
    a.add_argument("--oeffentlich", action="store_true",
                   help="Ausgaben zur Veröffentlichung: ohne Beteiligungsstand der Eigentümer")
    a.add_argument("--engine", choices=("single", "dask"), default="single",
                   help="single: ein Prozess (Standard); dask: in Kacheln auf einem dask-Cluster")
    a.add_argument("--workers", type=_positive_int, default=2,
                   help="dask: Zahl der Worker-Prozesse des lokalen Clusters (Standard 2)")
    a.add_argument("--scheduler", help="dask: Adresse eines laufenden Schedulers, z. B. tcp://host:8786 "
                                       "(sonst ein lokaler Cluster)")
    a.add_argument("--tile-size", type=float, default=2500.0, help="dask: Kantenlänge der Kacheln in m")
    a.add_argument("-q", "--quiet", action="store_true", help="keine Fortschrittsmeldungen")
    a.set_defaults(func=_cmd_assess)

    se = sub.add_parser("sensitivitaet", help="Schwellen ±10/20 %% variieren: Flächen je Klasse, Tornado-Diagramm")
    se.add_argument("config", type=Path, help="config.yml")
    se.add_argument("--out", type=Path, required=True, help="Ausgabeordner")
    se.add_argument("--schritte", type=_steps, default=(-0.2, -0.1, 0.1, 0.2),
                    help="relative Änderungen in Prozent, z. B. --schritte=-30,-15,15,30 (Standard -20,-10,10,20)")
    se.add_argument("-q", "--quiet", action="store_true", help="keine Fortschrittsmeldungen")
    se.set_defaults(func=_cmd_sensitivity)

    d = sub.add_parser("demo", help="Beispielquartier erzeugen und bewerten (nach data/processed/sample)")
    d.add_argument("--data", type=Path, default=DEFAULT_SAMPLE, help=f"Datenordner (Standard {DEFAULT_SAMPLE})")
    d.add_argument("--out", type=Path, default=DEFAULT_DEMO_OUT, help=f"Ausgabeordner (Standard {DEFAULT_DEMO_OUT})")
    d.add_argument("-q", "--quiet", action="store_true", help="keine Fortschrittsmeldungen")
    d.set_defaults(func=_cmd_demo)

    i = sub.add_parser("init", help="Datenlieferung durchsuchen und eine kommentierte config.yml schreiben")
    i.add_argument("folder", type=Path, help="Ordner mit ALKIS- und Themendaten (beliebig tief)")
    i.add_argument("--out", type=Path, help="Zieldatei (Standard FOLDER/config.yml; nie überschrieben)")
    i.set_defaults(func=_cmd_init)

    layers = sub.add_parser("layers", help="Layer einer DXF-, Shapefile-Ordner- oder GeoPackage-Datei auflisten")
    layers.add_argument("file", help="DXF, GeoPackage, Shapefile-Ordner oder postgresql://…?schema=…")
    layers.set_defaults(func=_cmd_layers)

    r = sub.add_parser("report", help="Bericht (HTML/PDF) aus einem fertigen Ausgabeordner neu erzeugen")
    r.add_argument("outdir", type=Path, help="Ausgabeordner eines Laufs (mit nachverdichtung.gpkg)")
    r.add_argument("-q", "--quiet", action="store_true", help="keine Fortschrittsmeldungen")
    r.set_defaults(func=_cmd_report)
    add_beteiligung_parser(sub, Progress)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``nachverdichtung`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    quiet = getattr(args, "quiet", False) and not args.debug
    logging.basicConfig(level=logging.INFO if args.debug else logging.ERROR if quiet else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    logging.captureWarnings(True)
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if in_main_thread else None
    try:
        return args.func(args)
    except NachverdichtungError as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return 2
    except Terminated:
        print("Abgebrochen (SIGTERM); vorherige Ausgaben unverändert.", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print("Abgebrochen (Strg+C); vorherige Ausgaben unverändert.", file=sys.stderr)
        return 130
    except Exception as exc:  # internal error: say so, keep the traceback for --debug
        if args.debug:
            raise
        print(f"Interner Fehler: {type(exc).__name__}: {' '.join(str(exc).split())[:300]} "
              f"(Details mit 'nachverdichtung --debug …'; bitte melden)", file=sys.stderr)
        return 1
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
