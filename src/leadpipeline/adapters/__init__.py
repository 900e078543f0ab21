"""Ports and adapters: where leads are stored and how people are notified."""
