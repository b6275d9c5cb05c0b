"""The event-driven engine: a seeded run of a scenario on SimPy's clock.

``simulation`` (the public ``Simulation``), ``world`` (all mutable run state, what a snapshot
holds), ``dynamics`` (what each event does: a fan's day), ``link`` (walking links on a distance
clock), ``checkpoint`` (turnstile banks), ``network`` (the venue graph and routes), ``demand``
(who arrives when), ``sampling`` (time series), ``snapshot`` and ``assimilate`` (warm starts).
"""
