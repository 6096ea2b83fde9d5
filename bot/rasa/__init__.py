"""Rasa interoperability: the city's actions as a Rasa action server, projects out and in.

- `catalog`: the Rasa-side names (actions, slots) and which backend action each runs.
- `bridge`: one action call → slots parsed by the flows' slot types → `run_action` in a
  transaction → Rasa events and responses (no rasa_sdk needed).
- `sdk` and `server`: the `rasa_sdk.Action` classes and the HTTP endpoint
  (`stadtbot actions serve`); only these import the optional `rasa-sdk` (`stadtbot[rasa]`).
- `export` and `importer`: `stadtbot rasa export|import`, Rasa 3 projects from and to flows.
"""
