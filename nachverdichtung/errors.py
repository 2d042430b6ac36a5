"""Error hierarchy.

Every error the user can cause is a :class:`NachverdichtungError`. Its message is one line that names
the file (or config key), the problem and the fix. The CLI prints that line and exits with code 2;
anything else is an internal error (exit code 1).
"""

from __future__ import annotations

from os import PathLike

__all__ = ["NachverdichtungError", "InputError", "ConfigError", "CRSError", "OutputError"]


class NachverdichtungError(Exception):
    """Base class for errors caused by input data or configuration.

    Parameters
    ----------
    problem
        What is wrong, in plain words.
    file
        The file (or directory) concerned, if any.
    key
        The config key or field concerned, if any.
    fix
        What the user should do about it.

    Examples
    --------
    >>> str(InputError("Datei fehlt", file="a.shp", fix="Pfad in config.yml prüfen"))
    'a.shp: Datei fehlt. Lösung: Pfad in config.yml prüfen'
    """

    def __init__(
        self,
        problem: str,
        *,
        file: str | PathLike | None = None,
        key: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.problem = problem
        self.file = None if file is None else str(file)
        self.key = key
        self.fix = fix
        super().__init__(self._format())

    def _format(self) -> str:
        where = ": ".join(part for part in (self.file, self.key and f"'{self.key}'") if part)
        text = f"{where}: {self.problem}" if where else self.problem
        text = text.rstrip(".") + "."
        if self.fix:
            text += f" Lösung: {self.fix}"
        # One line, always: collapse any line breaks a library message may carry.
        return " ".join(text.split())


class InputError(NachverdichtungError, ValueError):
    """An input file is missing, unreadable or does not have the expected content."""


class ConfigError(NachverdichtungError, ValueError):
    """The configuration file has an unknown key, a wrong type or an invalid value."""


class CRSError(InputError):
    """A coordinate reference system is missing, wrong or implausible for the coordinates."""


class OutputError(NachverdichtungError, OSError):
    """The output folder cannot be used: inside the input data, not writable, full, locked or in use."""
