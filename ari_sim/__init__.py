"""An ARI-compatible Asterisk simulator (HTTP + WebSocket) for tests, demos and benchmarks."""
