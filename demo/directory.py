"""The demo directory: every organisation and professional the demo journeys and household name
(not the informal network or volunteers: the directory lists staff), and a few more, in
``demo/directory/*.csv`` — the files ``polku directory load`` can be tried on."""

from __future__ import annotations

from pathlib import Path

__all__ = ["ORGANISATIONS_CSV", "PROFESSIONALS_CSV"]

ORGANISATIONS_CSV = Path(__file__).with_name("directory") / "organisations.csv"
PROFESSIONALS_CSV = Path(__file__).with_name("directory") / "professionals.csv"
