"""matchday: match-day operations simulator (what-if planning and the live ops-room path)."""

__version__ = "0.1.0"
