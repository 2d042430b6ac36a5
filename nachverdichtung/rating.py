"""Combine criterion classes into one class per area and explain the decision."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .criteria.base import BEDINGT, GEEIGNET, KLASSEN, NICHT, UNBEWERTET

__all__ = ["rate", "combine", "class_codes", "combine_codes", "decision_counts", "provisional_class",
           "provisional_text"]

_NAMES = np.array(KLASSEN, dtype=object)
_G, _B, _N, _U = (KLASSEN.index(k) for k in (GEEIGNET, BEDINGT, NICHT, UNBEWERTET))


def class_codes(klassen) -> np.ndarray:
    """Classes as small integers (their position in :data:`KLASSEN`; -1 for anything else), any shape.

    Examples
    --------
    >>> class_codes(np.array([GEEIGNET, NICHT, "x"], dtype=object)).tolist()
    [0, 2, -1]
    """
    a = np.asarray(klassen, dtype=object)
    out = np.full(a.shape, -1, dtype=np.int8)
    for i, k in enumerate(KLASSEN):
        out[a == k] = i
    return out


def combine_codes(codes: np.ndarray, *, missing: str = UNBEWERTET) -> np.ndarray:
    """:func:`combine` on class codes (areas × criteria) → overall class codes; fast for sweeps."""
    codes = np.asarray(codes)
    if codes.ndim != 2 or codes.shape[1] == 0:
        return np.full(len(codes), _U, dtype=np.int8)
    any_nicht = (codes == _N).any(axis=1)
    any_unb = (codes == _U).any(axis=1)
    any_bed = (codes == _B).any(axis=1)
    return np.select([any_nicht, any_unb & (missing == UNBEWERTET), any_bed | any_unb], [_N, _U, _B],
                     _G).astype(np.int8)


def combine(klassen: np.ndarray, *, missing: str = UNBEWERTET) -> np.ndarray:
    """The overall class from a matrix of deciding criterion classes (areas × criteria), vectorised.

    Examples
    --------
    >>> combine(np.array([[GEEIGNET, BEDINGT], [NICHT, UNBEWERTET], [GEEIGNET, UNBEWERTET]], dtype=object)).tolist()
    ['bedingt geeignet', 'nicht geeignet', 'nicht bewertet']
    """
    klassen = np.asarray(klassen, dtype=object)
    if klassen.ndim != 2 or klassen.shape[1] == 0:
        return np.full(len(klassen), UNBEWERTET, dtype=object)
    return _NAMES[combine_codes(class_codes(klassen), missing=missing)]


def rate(frame: pd.DataFrame, criteria: Sequence[str], titles: dict[str, str] | None = None, *,
         missing: str = UNBEWERTET, advisory: Sequence[str] = ()) -> pd.DataFrame:
    """Apply the "worst class decides" rule.

    Parameters
    ----------
    frame
        Holds ``<name>_klasse`` and ``<name>_grund`` for every name in ``criteria``.
    criteria
        The evaluated criteria, in display order.
    titles
        Display titles by name (for the summary sentence).
    missing
        Overall class when nothing is "nicht geeignet" but some criterion is "nicht bewertet":
        "nicht bewertet" (default: a missing layer never passes) or "bedingt geeignet".
    advisory
        Criteria that are shown but never decide.

    Returns
    -------
    DataFrame
        ``klasse``, ``entscheidend`` (deciding criteria, comma-separated names), ``nicht_bewertet``
        (criteria that could not be rated), ``zusammenfassung`` (one German sentence),
        ``klasse_vorlaeufig`` (the class of the deciding criteria that could be rated; "nicht bewertet"
        only when none could) and ``vorlaeufig`` (that class with the missing criteria, e.g.
        "vorläufig bedingt geeignet – nicht bewertet: Topographie"), indexed like ``frame``.

    Examples
    --------
    >>> f = pd.DataFrame({"a_klasse": ["bedingt geeignet"], "a_grund": ["Zufahrt nur 2,4 m breit"],
    ...                   "b_klasse": ["geeignet"], "b_grund": ["eben"]})
    >>> rate(f, ["a", "b"]).iloc[0]["zusammenfassung"]
    'bedingt geeignet: Zufahrt nur 2,4 m breit'
    """
    titles = titles or {}
    deciding_names = [c for c in criteria if c not in set(advisory)]
    idx = frame.index
    n = len(idx)
    if not deciding_names:
        # nothing may decide (no criteria, or all advisory): never report a pass
        why = "keine Kriterien aktiv" if not criteria else "alle Kriterien nur informativ"
        unrated = [", ".join(c for c in criteria if frame[f"{c}_klasse"].iloc[i] == UNBEWERTET) for i in range(n)] \
            if criteria else ""
        return pd.DataFrame({"klasse": np.full(n, UNBEWERTET, dtype=object), "entscheidend": "",
                             "nicht_bewertet": unrated, "zusammenfassung": f"nicht bewertet: {why}",
                             "klasse_vorlaeufig": UNBEWERTET, "vorlaeufig": f"nicht bewertet: {why}"},
                            index=idx)
    klassen = np.column_stack([frame[f"{c}_klasse"].to_numpy(dtype=object) for c in deciding_names]) \
        if deciding_names else np.empty((n, 0), dtype=object)
    gruende = np.column_stack([frame[f"{c}_grund"].astype(str).to_numpy(dtype=object) for c in deciding_names]) \
        if deciding_names else np.empty((n, 0), dtype=object)
    all_k = np.column_stack([frame[f"{c}_klasse"].to_numpy(dtype=object) for c in criteria])
    is_nicht = klassen == NICHT
    is_bed = klassen == BEDINGT
    is_unb_all = all_k == UNBEWERTET
    any_nicht = is_nicht.any(axis=1)
    any_unb = (klassen == UNBEWERTET).any(axis=1)
    overall = combine(klassen, missing=missing)
    deciding_mask = np.where(any_nicht[:, None], is_nicht, np.where(any_unb[:, None] & (missing == UNBEWERTET),
                                                                    klassen == UNBEWERTET, is_bed | (klassen == UNBEWERTET)))
    names = np.array(deciding_names, dtype=object)
    all_names = np.array(list(criteria), dtype=object)
    provisional = provisional_class(klassen)
    title_of = np.array([titles.get(c, c) for c in deciding_names], dtype=object)
    is_unb = klassen == UNBEWERTET
    entscheidend, summary, unbewertet, vorl = [], [], [], []
    # assembling strings: one pass over rows, but only string joins (no geometry, no per-row pandas)
    for i in range(n):
        m = deciding_mask[i]
        entscheidend.append(", ".join(names[m]))
        unbewertet.append(", ".join(all_names[is_unb_all[i]]))
        vorl.append(provisional_text(provisional[i], title_of[is_unb[i]], final=overall[i] != UNBEWERTET))
        if overall[i] == GEEIGNET:
            summary.append("geeignet: alle Kriterien erfüllt")
        else:
            summary.append(f"{overall[i]}: " + "; ".join(gruende[i][m]))
    return pd.DataFrame({"klasse": overall, "entscheidend": entscheidend, "nicht_bewertet": unbewertet,
                         "zusammenfassung": summary, "klasse_vorlaeufig": provisional, "vorlaeufig": vorl},
                        index=idx)


def provisional_class(klassen: np.ndarray) -> np.ndarray:
    """The worst class of the criteria that could be rated, per row ("nicht bewertet" when none could).

    Examples
    --------
    >>> provisional_class(np.array([["geeignet", "nicht bewertet"], ["nicht bewertet", "nicht bewertet"],
    ...                             ["bedingt geeignet", "nicht geeignet"]], dtype=object)).tolist()
    ['geeignet', 'nicht bewertet', 'nicht geeignet']
    """
    if klassen.shape[1] == 0:
        return np.full(klassen.shape[0], UNBEWERTET, dtype=object)
    rated = (klassen != UNBEWERTET).any(axis=1)
    worst = np.select([(klassen == NICHT).any(axis=1), (klassen == BEDINGT).any(axis=1)], [NICHT, BEDINGT],
                      GEEIGNET)
    return np.where(rated, worst, UNBEWERTET).astype(object)


def provisional_text(klasse: str, missing: Sequence[str], *, final: bool = False) -> str:
    """The provisional class with the criteria it lacks (``final``: the overall class is already decided).

    Examples
    --------
    >>> provisional_text("bedingt geeignet", ["Topographie", "Baumbestand"])
    'vorläufig bedingt geeignet – nicht bewertet: Topographie, Baumbestand'
    >>> provisional_text("nicht geeignet", ["Topographie"], final=True)
    'nicht geeignet – nicht bewertet: Topographie'
    >>> provisional_text("geeignet", [])
    'geeignet'
    """
    if not len(missing):
        return klasse
    if final:
        return f"{klasse} – nicht bewertet: " + ", ".join(missing)
    if klasse == UNBEWERTET:
        return "nicht bewertet: " + ", ".join(missing)
    return f"vorläufig {klasse} – nicht bewertet: " + ", ".join(missing)


def decision_counts(rated: pd.DataFrame, criteria: Sequence[str]) -> pd.Series:
    """How often each criterion decided the overall class."""
    if len(rated) == 0:
        return pd.Series(0, index=list(criteria), dtype=int)
    parts = rated["entscheidend"].astype(str).str.split(", ").explode()
    parts = parts[parts.astype(bool)]
    return parts.value_counts().reindex(list(criteria), fill_value=0)
