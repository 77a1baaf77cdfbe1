"""Atlas régional de la culture and regional portrait fiches, generated from open data."""

__version__ = "0.1.0"
