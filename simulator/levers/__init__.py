"""What-if levers: the ``interventions:`` section of a scenario, read (``reader``), held as
value objects (``model``) and applied to a run at each window edge (``runner``)."""
