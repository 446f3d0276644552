"""The list of stages a filter accepts is the list the catalogue assigns."""

from __future__ import annotations

import re
from pathlib import Path

import domain
from domain.state import STAGES, JourneyState


def test_every_stage_the_catalogue_assigns_is_in_the_stage_list_and_no_other() -> None:
    source = "\n".join(path.read_text() for path in
                       (Path(domain.__file__).parent / "catalogue").glob("*.py"))
    assigned = set(re.findall(r'\.stage = "([a-z_]+)"', source))
    assigned |= set(re.findall(r'\.stage = "([a-z_]+)" if', source))
    assigned |= set(re.findall(r'\.stage = "[a-z_]+" if .* else "([a-z_]+)"', source))
    assigned.add(JourneyState().stage)
    assert len(assigned) > 15
    assert assigned == set(STAGES)
