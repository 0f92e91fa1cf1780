"""Switchboard JSON-RPC 2.0 client (stdlib only).

Speaks newline-delimited JSON over TCP to a Switchboard server.  See
``clients/python/README.md`` for usage.
"""

from .client import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    Client,
    ConnectionClosed,
    RPCError,
    parse_connect,
    token_from_env_or_file,
)

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "Client",
    "ConnectionClosed",
    "RPCError",
    "parse_connect",
    "token_from_env_or_file",
]

__version__ = "0.1.0"
