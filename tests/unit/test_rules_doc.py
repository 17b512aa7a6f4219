"""docs/rules.md lists exactly the rules in domain/rules.py."""

from __future__ import annotations

import re
from pathlib import Path

from domain.rules import Rule

DOC = Path(__file__).parents[2] / "docs" / "rules.md"


def test_the_rules_document_lists_every_rule_and_no_other() -> None:
    documented = dict(re.findall(r"^\| `([a-z-]+)` \| (.+) \|$", DOC.read_text(), re.M))
    assert documented == {rule.code: rule.text for rule in Rule}
