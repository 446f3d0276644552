"""Adapters: event-store settings, read models, key store, vault, signing."""
