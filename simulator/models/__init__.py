"""Built-in pedestrian models; each module registers itself with ``simulator.pedestrian``."""
