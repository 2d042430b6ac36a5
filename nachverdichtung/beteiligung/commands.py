"""CLI of the participation round: ``nachverdichtung beteiligung start|einlesen|bericht|export|loeschen``.

Messages name counts, codes and files, never an owner's name or address.
"""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["add_parser"]


def _start(args) -> int:
    from .rounds import start_round

    info = start_round(args.outdir, args.areas, owners_path=args.eigentuemer, progress=args.say)
    print(f"Beteiligungsrunde {info['runde']}: {info['anschreiben']} Anschreiben für {info['flaechen']} Flächen")
    print(f"  Briefe:   {info['briefe']}")
    print(f"  Tabellen: {Path(args.outdir) / 'beteiligung'} (serienbrief.csv, rueckmeldungen.xlsx; nur intern)")
    if info["ohne_eigentuemer"]:
        print(f"  Hinweis: {info['ohne_eigentuemer']} Flurstücke der Flächen ohne Eigentümerangabe")
    for h in info["hinweise"]:
        print(f"  Hinweis: {h}")
    return 0


def _einlesen(args) -> int:
    from .rounds import read_answers

    info = read_answers(args.outdir, args.file)
    print(f"Rückmeldungen eingelesen: {info['zeilen']} Zeilen, {info['geaendert']} geändert (Protokoll im Speicher)")
    print("Beteiligungsstand in Karte und Bericht: 'nachverdichtung assess … --out OUTDIR' erneut ausführen")
    return 0


def _bericht(args) -> int:
    from .council import write_council_report

    for p in write_council_report(args.outdir):
        print(f"geschrieben: {p}")
    return 0


def _export(args) -> int:
    from .public import public_export

    for p in public_export(args.outdir, notice=args.bekanntmachung):
        print(f"geschrieben: {p}")
    return 0


def _loeschen(args) -> int:
    from .public import delete_personal_data

    info = delete_personal_data(args.outdir, args.vor)
    print(f"gelöscht: {info['adressaten']} Adressaten, {info['bezuege']} Flurstücksbezüge, "
          f"{info['dateien']} Dateien aus {info['runden']} Runden; Rückmeldungen je Fläche bleiben gezählt")
    return 0


def add_parser(sub, progress) -> None:
    """Register ``beteiligung`` and its subcommands on the main parser's subparsers."""
    b = sub.add_parser("beteiligung", help="Eigentümer anschreiben, Rückmeldungen verwalten, Sachstand berichten")
    bs = b.add_subparsers(dest="beteiligung", required=True, metavar="SCHRITT")

    def common(p):
        p.add_argument("outdir", type=Path, help="Ausgabeordner eines assess-Laufs")
        p.add_argument("-q", "--quiet", action="store_true", help="keine Fortschrittsmeldungen")
        p.set_defaults(say=None)

    s = bs.add_parser("start", help="Anschreiben (PDF), Serienbrief-Tabelle und Rückmeldetabelle erzeugen")
    common(s)
    s.add_argument("--areas", required=True, help="'alle', eine Klasse (z. B. geeignet) oder Flächennummern, kommagetrennt")
    s.add_argument("--eigentuemer", type=Path, default=None,
                   help="Eigentümerdatei (Standard: owners.path der Konfiguration des Laufs)")
    s.set_defaults(func=_with_progress(_start, progress))
    e = bs.add_parser("einlesen", help="ausgefüllte rueckmeldungen.xlsx prüfen und speichern")
    common(e)
    e.add_argument("file", type=Path, help="rueckmeldungen.xlsx (oder .csv)")
    e.set_defaults(func=_with_progress(_einlesen, progress))
    r = bs.add_parser("bericht", help="Sachstandsbericht für den Rat (ohne personenbezogene Daten)")
    common(r)
    r.set_defaults(func=_with_progress(_bericht, progress))
    x = bs.add_parser("export", help="öffentliches Baulandkataster (§ 200 Abs. 3 BauGB) ohne widersprochene Flächen")
    common(x)
    x.add_argument("--bekanntmachung", default=None,
                   help="Datum der öffentlichen Bekanntmachung (JJJJ-MM-TT); wird gespeichert, Export erst einen Monat danach")
    x.set_defaults(func=_with_progress(_export, progress))
    d = bs.add_parser("loeschen", help="personenbezogene Daten vor einem Datum löschen (Zahlen bleiben)")
    common(d)
    d.add_argument("--vor", required=True, help="Runden, die vor diesem Datum (JJJJ-MM-TT) begonnen haben")
    d.set_defaults(func=_with_progress(_loeschen, progress))


def _with_progress(func, progress):
    def run(args: argparse.Namespace) -> int:
        args.say = progress(args.quiet)
        return func(args)
    return run
