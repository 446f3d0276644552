"""README's configuration table and docs/configuration.md list exactly the settings
web/config.py reads (issue 11: the table once listed 7 of 15)."""

from __future__ import annotations

from tests.configuration import CONFIGURATION_MD, described, read_by_code, readme_names, render


def test_every_variable_web_config_reads_is_described_and_nothing_else() -> None:
    assert len(read_by_code()) >= 15
    assert read_by_code() == described()


def test_readme_table_lists_exactly_the_settings_web_config_reads() -> None:
    assert readme_names() == read_by_code(), "run make config"


def test_the_configuration_reference_is_up_to_date() -> None:
    assert CONFIGURATION_MD.read_text() == render(), "run make config"
