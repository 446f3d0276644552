"""The SEN2 person-level return, computed from the journeys, per collection year.

- ``years/``: each collection year's specification as data (``spec.YearSpec``);
- ``build``: one child's record from its events, in DfE's codes;
- ``export``: an authority's return (``sen2_return``), its header and summary;
- ``xml``: the XML writer, the reader of submitted files (defusedxml) and our XSD;
- ``checks``: pre-submission checks (errors and queries per child, item and rule);
- ``diff``: a submitted return against today's, item by item.

docs/decisions/0008 records the sources and every choice where they are silent.
"""

from __future__ import annotations

from application.sen2.build import week20_exception
from application.sen2.checks import Finding, check_return
from application.sen2.diff import diff_returns, flatten, person_key
from application.sen2.export import (
    MissingLANumberError,
    Sen2Policy,
    Sen2Return,
    authorities,
    authority_child_ids,
    authority_journeys,
    authority_logs,
    census_day,
    check_may_export,
    sen2_return,
    summarise,
)
from application.sen2.xml import Sen2FileError, from_xml, load_return, to_xml, xsd
from application.sen2.years import UnknownYearError, spec_for

__all__ = [
    "Finding", "MissingLANumberError", "Sen2FileError", "Sen2Policy", "Sen2Return",
    "UnknownYearError", "authorities", "authority_child_ids", "authority_journeys",
    "authority_logs", "census_day", "check_may_export", "check_return", "diff_returns",
    "flatten", "from_xml", "load_return", "person_key", "sen2_return", "spec_for",
    "summarise", "to_xml", "week20_exception", "xsd",
]
