"""Transport around the venue: lines with platforms and vehicles, car parks, and roads.

Fans leave the walking network at an origin. When that origin is the platform of a ``Line``
they queue on it (an area with density and LoS, holding at most its jam density) and board
vehicles that call at a headway or timetable until each is full; when it is the apron of a
``CarPark`` each party is one car that queues for the exit lanes and then drives a ``Road``
whose travel time follows the BPR volume-delay function, the same road the shuttle buses use,
so a jammed road slows the shuttles and thins their service. On the way in, fans reach a
platform in vehicle loads.

    model.py     frozen value objects read from the ``transport:`` section of a scenario
    reader.py    parsing and validation of that section (every problem at once)
    bpr.py       the volume-delay function
    inbound.py   ingress: arrivals at platforms grouped into vehicle loads
    state.py     run-time state (platform queues, vehicles, car queues, road volumes)
    runner.py    the event handlers that move fans and vehicles (called by the engine)
    kpis.py      the ``platforms``/``lines``/``car_parks``/``roads`` summary sections
"""

from simulator.transport.bpr import bpr_travel_time
from simulator.transport.model import CarPark, Line, Road, Transport

__all__ = ["CarPark", "Line", "Road", "Transport", "bpr_travel_time"]
