"""The ground: shared types, settings, texts, database and core tables.

Nothing here imports another part of the project (`make lint` checks it), so flows,
nlu and actions can all stand on it without knowing one another.
"""
