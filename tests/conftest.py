"""Shared fixtures: every test talks to a real simulator over real HTTP and WebSocket."""
