"""Crowd models: the speed-density laws of walking links, one small module per model.

A new pedestrian model is one module here: a frozen parameter object with ``speed(density)`` and
``k_jam``, registered by name with ``register_model`` (see ``registry``), then chosen in a
scenario with ``settings.pedestrian_model``.
"""
