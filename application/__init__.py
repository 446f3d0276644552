"""Use cases in the users' words: the CaseTracking application and its ports."""
