"""Scenarios: the frozen value objects a run is made of (``model``), and reading them from YAML.

``loader`` validates a whole file before anything is built (``yaml_source`` for strict YAML,
``fields`` for typed field reading that collects problems, ``clock`` for match-day times,
``venue_reader`` and ``venue_checks`` for the ``venue:`` section and its route checks).
"""
