"""nachverdichtung: find and rate second-row building land in German residential areas."""

__version__ = "0.1.0"
