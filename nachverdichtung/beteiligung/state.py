"""Participation state per area, derived from the answers of all its addressees (no personal data).

========================  ==========================================================
``nicht angefragt``       the area was in no round
``offen``                 nobody has answered on interest yet
``alle ja``               every addressee answered "Interesse"
``teilweise ja``          some, not all, answered "Interesse"
``keiner ja``             nobody answered "Interesse", some answered "kein Interesse"
``zurückgestellt``        every addressee answered "kein Interesse"
========================  ==========================================================

"Rückfrage", "Widerspruch gegen Veröffentlichung", "keine Antwort" and "angeschrieben" are no answer
on interest. Only the latest round that asked about an area counts.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..export.styles import PARTICIPATION_COLOURS

__all__ = ["STATES", "STATE_COLOURS", "area_states", "attach_state", "read_states"]

STATE_COLOURS = PARTICIPATION_COLOURS
STATES = tuple(PARTICIPATION_COLOURS)


def area_states(answers: pd.DataFrame) -> pd.DataFrame:
    """State per area from the response rows (``runde, referenz, flaeche_id, status``).

    Returns
    -------
    DataFrame indexed by ``flaeche_id`` with ``beteiligung`` (the state), ``adressaten``, ``ja``,
    ``nein``, ``offen`` and ``widerspruch`` (an addressee objected to publication).

    Examples
    --------
    >>> df = pd.DataFrame({"runde": 1, "referenz": ["a", "b"], "flaeche_id": "f", "status": ["Interesse", "kein Interesse"]})
    >>> area_states(df)["beteiligung"].tolist()
    ['teilweise ja']
    """
    cols = ["beteiligung", "adressaten", "ja", "nein", "offen", "widerspruch"]
    if not len(answers):
        return pd.DataFrame(columns=cols, index=pd.Index([], name="flaeche_id"))
    latest = answers.groupby("flaeche_id")["runde"].transform("max")
    a = answers[answers["runde"] == latest]
    g = a.assign(ja=a["status"] == "Interesse", nein=a["status"] == "kein Interesse",
                 wid=a["status"] == "Widerspruch gegen Veröffentlichung").groupby("flaeche_id")
    out = pd.DataFrame({"adressaten": g.size(), "ja": g["ja"].sum(), "nein": g["nein"].sum(),
                        "widerspruch": g["wid"].any()})
    out["offen"] = out["adressaten"] - out["ja"] - out["nein"]
    n, ja, nein = out["adressaten"], out["ja"], out["nein"]
    out["beteiligung"] = np.select([ja == n, ja > 0, nein == n, nein > 0], ["alle ja", "teilweise ja",
                                                                          "zurückgestellt", "keiner ja"], "offen")
    return out[cols].astype({"adressaten": int, "ja": int, "nein": int, "offen": int, "widerspruch": bool})


def read_states(outdir: str | Path) -> pd.DataFrame | None:
    """States of the store in ``outdir``, or ``None`` when no round was started there."""
    from .store import open_store, responses, store_path

    if not store_path(outdir).exists():
        return None
    con = open_store(outdir)
    try:
        return area_states(responses(con))
    finally:
        con.close()


def attach_state(assessment, outdir: str | Path):
    """The assessment with the column ``beteiligung`` (and ``beteiligung_adressaten``) from the store in ``outdir``.

    Area ids are stable, so a re-run of ``assess`` keeps the answers. Without a store the assessment
    is returned unchanged. Only the aggregated state enters the areas, never a name or a share.
    """
    states = read_states(outdir)
    if states is None:
        return assessment
    areas = assessment.areas.copy()
    st = states.reindex(areas.index)
    areas["beteiligung"] = st["beteiligung"].fillna("nicht angefragt").astype(object)
    areas["beteiligung_adressaten"] = st["adressaten"].fillna(0).astype(int)
    return replace(assessment, areas=areas)
