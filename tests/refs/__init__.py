"""The platforms' official schemas and payload samples the tests check okrbot against."""

from pathlib import Path

REFS = Path(__file__).resolve().parent
