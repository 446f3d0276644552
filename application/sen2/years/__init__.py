"""The SEN2 collection years casetrack can write, one module each (data only)."""

from __future__ import annotations

from application.sen2.spec import YearSpec


class UnknownYearError(ValueError):
    """Raised for a collection year no module declares."""


def spec_for(year: int) -> YearSpec:
    """Return the specification of collection ``year``."""
    from application.sen2.years import y2024, y2025, y2026

    specs = {spec.year: spec for spec in (y2024.SPEC, y2025.SPEC, y2026.SPEC)}
    if year not in specs:
        raise UnknownYearError(
            f"no SEN2 specification for {year}: casetrack declares "
            f"{', '.join(str(y) for y in sorted(specs))}")
    return specs[year]


def carried_forward(year: int) -> bool:
    """Tell whether ``year`` repeats an earlier year for want of a source."""
    from application.sen2.years import y2026

    return year == y2026.SPEC.year and y2026.CARRIED_FORWARD


def years() -> list[int]:
    from application.sen2.years import y2024, y2025, y2026

    return [y2024.SPEC.year, y2025.SPEC.year, y2026.SPEC.year]
