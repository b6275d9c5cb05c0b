"""Example variant files for the bundled scenarios (``matchday sweep ... --variant NAME``)."""
