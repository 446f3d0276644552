"""The SEND journey model: the ChildJourney aggregate, its events, statutory rules and clocks.

Imports the standard library and ``eventsourcing.domain`` only.
"""
