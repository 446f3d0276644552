"""Where a URL may point: one rule for the settings and the webhook subscriptions."""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """Tell whether ``host`` is this machine (``localhost`` or a loopback address), the
    one place plain ``http`` is accepted."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
