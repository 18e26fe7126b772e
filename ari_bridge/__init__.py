"""A typed client for Asterisk's REST Interface (ARI), its event stream and a channel service."""
from .config import AriServerConfig

__all__ = ["AriServerConfig"]
