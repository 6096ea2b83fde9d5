"""An optional language model of the city's own, behind an OpenAI-compatible endpoint.

It helps in two places and decides nothing by itself: it proposes what a message means
(commands the engine checks against the flows before the dialogue sees them) and words an
answer from retrieved passages (checked against them). Every failure, time-out, invalid
output or used-up budget falls back to the embedded path.
"""
