"""The backends govern talks to: one package per backend, owning its connection."""
