"""An ARI-compatible Asterisk simulator (HTTP + WebSocket) for tests, demos and benchmarks.

Run it with `python -m ari_sim`, or in-process with `ari_sim.testing.running_simulator()`.
See ari_sim/README.md.
"""
from .config import SimConfig
from .phones import PhoneBehaviour
from .server import Simulator

__all__ = ["PhoneBehaviour", "SimConfig", "Simulator"]
