"""docs/rules.md lists every rule and clock with the tests that prove them."""

from __future__ import annotations

from tests.rulebook import RULES_MD, missing, proving_tests, render, unknown


def test_every_rule_and_clock_has_a_test_that_proves_it() -> None:
    assert missing(proving_tests()) == []


def test_every_proves_marker_names_a_declared_rule_or_clock() -> None:
    assert unknown(proving_tests()) == []


def test_rules_table_is_up_to_date() -> None:
    assert RULES_MD.read_text() == render(proving_tests()), "run make rules"
