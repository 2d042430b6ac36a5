"""The run log ``protokoll.txt``: every repair and every dropped feature, with the parcel accounting.

Planners hand this file on with the results: it says what was wrong with the input data, what the
toolkit did about it, and that no parcel was lost (input = candidates + excluded with a reason).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["protocol_text", "write_protocol"]


def protocol_text(assessment) -> str:
    """The run log as German plain text."""
    m = assessment.manifest
    acc = assessment.parcels
    status = acc["status"].astype(str)
    n_cand = int((status == "Kandidat").sum())
    n_excl = int((status == "ausgeschlossen").sum())
    lines = ["Protokoll der Bewertung (nachverdichtung)", "=" * 42, ""]
    if m.get("gestartet"):
        lines.append(f"Gestartet:      {m['gestartet']}")
    if m.get("konfiguration"):
        lines.append(f"Konfiguration:  {m['konfiguration']}")
    software = m.get("software", {})
    if software:
        lines.append(f"Software:       nachverdichtung {software.get('nachverdichtung', '?')}")
    lines += ["", "Eingangsdaten"]
    for name, info in m.get("eingaben", {}).items():
        digest = (info.get("sha256") or "")[:12]
        lines.append(f"  {name:16s} {info.get('pfad')}  (SHA-256 {digest or '–'}…)")
    lines += ["", "Flurstücksbilanz",
              f"  eingelesen:                 {len(acc):7d}",
              f"  in Potenzialflächen:        {n_cand:7d}",
              f"  ausgeschlossen (mit Grund): {n_excl:7d}",
              f"  Probe: {len(acc)} = {n_cand} + {n_excl} "
              f"{'stimmt' if len(acc) == n_cand + n_excl else 'STIMMT NICHT'}"]
    reasons = acc.loc[status == "ausgeschlossen", "grund"].fillna("ohne Angabe").astype(str).value_counts()
    if len(reasons):
        lines.append("  Ausschlussgründe:")
        for reason, count in reasons.items():
            lines.append(f"    {count:7d}  {reason}")
    problems = list(assessment.layers.problems)
    lines += ["", f"Hinweise zu den Eingangsdaten ({len(problems)})"]
    lines += [f"  - {p}" for p in problems] or ["  keine"]
    details = list(getattr(assessment.layers, "problem_details", ()))
    if details:
        lines += ["", f"Einzelfälle zu den Hinweisen ({len(details)})"] + [f"  - {d}" for d in details]
    dropped = assessment.layers.excluded_parcels
    if len(dropped):
        lines += ["", "Bei der Prüfung verworfene Flurstücke (nicht in Potenzialflächen)"]
        for kennz, grund in zip(dropped["flstkennz"].astype(str), dropped["grund"].astype(str)):
            lines.append(f"  {kennz}  {grund}")
    timings = m.get("zeiten_s", {})
    if timings:
        lines += ["", "Laufzeiten (s)"] + [f"  {k:24s} {v:8.2f}" for k, v in timings.items()]
    return "\n".join(lines) + "\n"


def write_protocol(assessment, folder: Path) -> list[Path]:
    """Write ``protokoll.txt`` (UTF-8) into ``folder``."""
    path = Path(folder) / "protokoll.txt"
    path.write_text(protocol_text(assessment), encoding="utf-8")
    return [path]
