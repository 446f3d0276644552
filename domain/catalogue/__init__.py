"""The journey's event catalogue (reference section 7.3), one module per group.

Importing this package registers every event type, rule and clock.
"""

from domain.catalogue import (  # noqa: F401
    advice,
    age_limits,
    assessment,
    budgets,
    disputes,
    documents,
    exceptions,
    governance,
    health,
    identification,
    mediation_agreements,
    movement,
    plan,
    registration,
    reviews,
    voice,
)
