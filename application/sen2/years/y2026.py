"""SEN2 2026 (census 15 January 2026; activity in calendar 2025).

No public source read for this work describes the 2026 collection (the guide v1.4 and
the readers stop at 2025). The year is declared as 2025 carried forward with no changes,
and says so: the pre-submission checks raise a query on every 2026 return until a source
for 2026 is read and its changes are declared here.
"""

from __future__ import annotations

from application.sen2.spec import derive
from application.sen2.years import y2025

SPEC = derive(y2025.SPEC, year=2026, version="1.3 (carried forward)", changes=(),
              note="carried forward from 2025: no source describes 2026")
CARRIED_FORWARD = True
