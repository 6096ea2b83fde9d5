"""Broadcasts: the communications team's messages to subscribers (issue 12).

    models      broadcast, recipient and image tables
    consent     applies the dialogue's ConsentChanged events (subscriptions + proof)
    audience    who a broadcast reaches: preview counts, the fixed recipient list
    compose     validating and creating a broadcast (API, page and CLI share it)
    sending     start (recipients fixed, messages into the outbox), pause, resume,
                cancel, done; the scheduler's jobs
    reports     counts per state, channel and language; replies; CSV
"""
