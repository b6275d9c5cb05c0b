"""The venue vocabulary shared by every part of matchday: elements, their Fruin scale and LoS."""

from simulator.venue.elements import VenueElement, venue_elements
from simulator.venue.los import LEVELS, LosScale, density_at_level, fruin_los

__all__ = ["LEVELS", "LosScale", "VenueElement", "density_at_level", "fruin_los", "venue_elements"]
