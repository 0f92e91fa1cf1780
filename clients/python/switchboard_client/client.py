"""Core of the Switchboard client: one TCP connection, NDJSON framing,
JSON-RPC 2.0 requests, batches and server notifications.

Design
------
* One background reader thread per connection reads lines, decodes them and
  hands them out: responses go to the waiting caller (a
  ``concurrent.futures.Future``), notifications (objects with ``method`` and
  no ``id``) go to a queue that :meth:`Client.notifications` drains.
* Responses are matched by ``id``.  The server answers requests on one
  connection in the order they were sent, so an error whose ``id`` is
  ``null`` (oversized line, parse error, batch too large, ...) belongs to the
  oldest request still waiting; that one fails with the error.
* Sending is serialised by a lock, and a request is registered as pending
  before its bytes go out, so "oldest pending" always equals "sent first".
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import socket
import ssl
import threading
from collections import deque
from concurrent.futures import Future
from typing import Any, Iterable, Iterator, Sequence

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7701
DEFAULT_TIMEOUT = 30.0

_CLOSED = object()  # sentinel put on the notification queue at close


class RPCError(Exception):
    """A JSON-RPC error object returned by the server."""

    def __init__(self, code: int, message: str, data: Any = None):
        super().__init__(code, message, data)
        self.code = code
        self.message = message
        self.data = data

    @classmethod
    def from_error(cls, error: Any) -> "RPCError":
        if not isinstance(error, dict):
            return cls(-32603, "malformed error object from server", error)
        code = error.get("code")
        if not isinstance(code, int):
            code = -32603
        return cls(code, str(error.get("message", "")), error.get("data"))

    def to_dict(self) -> dict:
        d: dict = {"code": self.code, "message": self.message}
        if self.data is not None:
            d["data"] = self.data
        return d

    def __str__(self) -> str:
        s = f"[{self.code}] {self.message}"
        if self.data is not None:
            s += f" {json.dumps(self.data, ensure_ascii=False)}"
        return s

    def __repr__(self) -> str:
        return f"RPCError({self.code!r}, {self.message!r}, {self.data!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RPCError):
            return NotImplemented
        return (self.code, self.message, self.data) == (other.code, other.message, other.data)

    __hash__ = Exception.__hash__


class ConnectionClosed(ConnectionError):
    """The connection ended (or was closed) before an answer arrived."""


def parse_connect(value: str | None) -> tuple[str, int]:
    """Parse ``HOST:PORT`` (``[v6]:PORT`` too); missing parts get defaults."""
    if not value:
        return DEFAULT_HOST, DEFAULT_PORT
    value = value.strip()
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif value.count(":") == 1:
        host, _, port = value.partition(":")
    elif ":" in value:  # bare IPv6 address
        host, port = value, ""
    else:
        host, port = value, ""
    return host or DEFAULT_HOST, int(port) if port else DEFAULT_PORT


def token_from_env_or_file(data_dir: str | os.PathLike | None = None) -> str:
    """The token from ``SWITCHBOARD_TOKEN``, else ``<data_dir>/operator.token``.

    ``data_dir`` defaults to ``SWITCHBOARD_DATA_DIR`` or ``./switchboard-data``
    (the server's defaults).  Raises ``FileNotFoundError`` when neither the
    variable nor the file is there, ``ValueError`` when the file is empty.
    """
    env = os.environ.get("SWITCHBOARD_TOKEN", "").strip()
    if env:
        return env
    if data_dir is None:
        data_dir = os.environ.get("SWITCHBOARD_DATA_DIR") or "switchboard-data"
    path = os.path.join(os.fspath(data_dir), "operator.token")
    with open(path, "r", encoding="utf-8") as f:
        token = f.read().strip()
    if not token:
        raise ValueError(f"{path} is empty")
    return token


class _Slot:
    """One request (or batch) waiting for its answer."""

    __slots__ = ("key", "future", "ids", "results", "raw")

    def __init__(self, key: int, ids: Sequence[Any], raw: bool = False):
        self.key = key
        self.future: Future = Future()
        self.ids = list(ids)  # one id for a call, several for a batch, none for raw
        self.results: dict[Any, Any] | None = {} if len(self.ids) > 1 else None
        self.raw = raw


class Client:
    """A connection to a Switchboard server.

    Use :meth:`connect` to make one; it is also a context manager.
    """

    def __init__(self, sock: socket.socket, timeout: float | None = DEFAULT_TIMEOUT):
        self.timeout = timeout
        self._sock = sock
        self._ids = itertools.count(1)
        self._send_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._keys = itertools.count(1)
        self._slots: dict[int, _Slot] = {}  # insertion order == send order
        self._by_id: dict[Any, _Slot] = {}
        self._events: "queue.Queue[Any]" = queue.Queue()
        self._closed = False
        self._close_reason: BaseException | None = None
        #: Answers that matched no waiting request (e.g. after a timeout).
        self.orphans: deque = deque(maxlen=100)
        self._reader = threading.Thread(
            target=self._read_loop, name="switchboard-client-reader", daemon=True
        )
        self._reader.start()

    # ------------------------------------------------------------------ setup

    @classmethod
    def connect(
        cls,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        timeout: float | None = DEFAULT_TIMEOUT,
        ssl_context: ssl.SSLContext | None = None,
        server_hostname: str | None = None,
    ) -> "Client":
        """Open a connection.  ``timeout`` bounds the connect and, by default,
        each wait for an answer (``None``: wait forever).  Pass an
        ``ssl_context`` for a TLS listener."""
        sock = socket.create_connection((host, port), timeout=timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if ssl_context is not None:
                sock = ssl_context.wrap_socket(sock, server_hostname=server_hostname or host)
            sock.settimeout(None)  # the reader thread blocks; waits use futures
        except BaseException:
            sock.close()
            raise
        return cls(sock, timeout=timeout)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._closed

    # -------------------------------------------------------------- requests

    def login(self, token: str, account: str | None = None) -> Any:
        """``auth.login``; returns the session (keyId, role, accountId, ...)."""
        params: dict[str, Any] = {"token": token}
        if account is not None:
            params["account"] = account
        return self.call("auth.login", params)

    def call(self, method: str, params: Any = None, timeout: float | None = ...) -> Any:  # type: ignore[assignment]
        """Call ``method`` and return its result; raises :class:`RPCError`."""
        future = self.call_async(method, params)
        return self._wait(future, timeout)

    def call_async(self, method: str, params: Any = None) -> Future:
        """Send a request now and return a Future for its result.  Many of
        these may be in flight at once (pipelining); the Future's exception is
        an :class:`RPCError` for an error answer."""
        rid = next(self._ids)
        msg = _request(method, params, rid)
        return self._send(_encode(msg), [rid]).future

    def notify(self, method: str, params: Any = None) -> None:
        """Send a JSON-RPC notification (no answer)."""
        self._send(_encode(_request(method, params, None)), None)

    def batch(self, calls: Iterable[Any], timeout: float | None = ...) -> list[Any]:  # type: ignore[assignment]
        """Send ``[(method, params), ...]`` as one batch.  Returns the results
        in the given order, with an :class:`RPCError` instance in place of
        each failed call.  If the server rejects the batch as a whole (e.g.
        too many members) that error is raised."""
        future = self.batch_async(calls)
        return self._wait(future, timeout)

    def batch_async(self, calls: Iterable[Any]) -> Future:
        msgs = []
        ids = []
        for item in calls:
            if isinstance(item, str):
                method, params = item, None
            else:
                item = tuple(item)
                if not 1 <= len(item) <= 2:
                    raise ValueError(f"batch items are (method, params): {item!r}")
                method, params = item[0], (item[1] if len(item) > 1 else None)
            rid = next(self._ids)
            ids.append(rid)
            msgs.append(_request(method, params, rid))
        if not msgs:
            raise ValueError("empty batch")
        slot = self._send(_encode(msgs), ids, batch=True)
        return slot.future

    def call_raw(self, line: bytes, timeout: float | None = ...) -> Any:  # type: ignore[assignment]
        """Send ``line`` as is (a newline is added if missing) and return the
        decoded answer message (object or array) without interpreting it.
        The answer is the one whose ``id`` is null, or that matches no other
        waiting request, in this request's turn.  Meant for testing the
        server; the line must draw exactly one answer."""
        if not line.endswith(b"\n"):
            line += b"\n"
        slot = self._send(line, [], raw=True)
        return self._wait(slot.future, timeout, slot)

    def close(self) -> None:
        """Close the connection; waiting calls fail with ConnectionClosed."""
        if not self._closed:
            self._shutdown(None)
        if self._reader is not threading.current_thread():
            self._reader.join(timeout=5)

    # ---------------------------------------------------------- notifications

    def notifications(self, timeout: float | None = None) -> Iterator[tuple[str, Any]]:
        """Yield ``(method, params)`` for each server notification, in arrival
        order, blocking for the next one.  Stops when the connection closes
        or, if ``timeout`` is given, when none arrives for that long."""
        while True:
            try:
                item = self._events.get(timeout=timeout)
            except queue.Empty:
                return
            if item is _CLOSED:
                self._events.put(_CLOSED)  # keep later iterators ending too
                return
            yield item

    def next_notification(self, timeout: float | None = ...) -> tuple[str, Any]:  # type: ignore[assignment]
        """The next ``(method, params)``; ``TimeoutError`` if none arrives in
        time, :class:`ConnectionClosed` once the connection is gone."""
        if timeout is ...:
            timeout = self.timeout
        try:
            item = self._events.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError("no notification within %s s" % timeout) from None
        if item is _CLOSED:
            self._events.put(_CLOSED)
            raise ConnectionClosed("connection closed")
        return item

    # --------------------------------------------------------------- private

    def _wait(self, future: Future, timeout: Any, slot: _Slot | None = None) -> Any:
        if timeout is ...:
            timeout = self.timeout
        try:
            return future.result(timeout=timeout)
        except TimeoutError:
            # Give up on it; a late answer lands in self.orphans.
            if slot is None:
                slot = getattr(future, "_switchboard_slot", None)
            if slot is not None:
                self._forget(slot)
            raise TimeoutError(f"no answer within {timeout} s") from None

    def _forget(self, slot: _Slot) -> None:
        with self._state_lock:
            self._slots.pop(slot.key, None)
            for rid in slot.ids:
                if self._by_id.get(rid) is slot:
                    del self._by_id[rid]

    def _send(self, data: bytes, ids: list | None, batch: bool = False, raw: bool = False) -> _Slot:
        slot = None
        with self._send_lock:
            if self._closed:
                raise ConnectionClosed("connection closed") from self._close_reason
            if ids is not None:
                slot = _Slot(next(self._keys), ids, raw=raw)
                if batch and slot.results is None:
                    slot.results = {}
                slot.future._switchboard_slot = slot  # type: ignore[attr-defined]
                with self._state_lock:
                    self._slots[slot.key] = slot
                    for rid in ids:
                        self._by_id[rid] = slot
            try:
                self._sock.sendall(data)
            except OSError as e:
                if slot is not None:
                    self._forget(slot)
                self._shutdown(e)
                raise ConnectionClosed(f"send failed: {e}") from e
        return slot  # type: ignore[return-value]

    def _read_loop(self) -> None:
        buf = bytearray()
        reason: BaseException | None = None
        try:
            while True:
                chunk = self._sock.recv(65536)
                if not chunk:
                    break
                buf += chunk
                start = 0
                while True:
                    nl = buf.find(b"\n", start)
                    if nl < 0:
                        break
                    line = bytes(buf[start:nl]).strip()
                    start = nl + 1
                    if line:
                        self._dispatch_line(line)
                del buf[:start]
        except OSError as e:
            reason = e
        except BaseException as e:  # pragma: no cover - keep the reader honest
            reason = e
        finally:
            self._shutdown(reason)

    def _dispatch_line(self, line: bytes) -> None:
        try:
            msg = json.loads(line)
        except ValueError:
            self.orphans.append(line)
            return
        if isinstance(msg, dict) and "method" in msg and "id" not in msg:
            self._events.put((msg["method"], msg.get("params")))
            return
        if isinstance(msg, list):
            self._on_batch_answer(msg)
        elif isinstance(msg, dict):
            self._on_answer(msg)
        else:
            self.orphans.append(msg)

    def _take_oldest(self) -> _Slot | None:
        # Caller holds _state_lock.
        for slot in self._slots.values():
            return slot
        return None

    def _on_answer(self, msg: dict) -> None:
        rid = msg.get("id")
        with self._state_lock:
            slot = self._by_id.get(rid) if rid is not None else None
            if slot is None:
                oldest = self._take_oldest()
                # Null id: belongs to the oldest request (answers are in order).
                # Unknown id: only a raw line can have drawn it.
                if oldest is not None and (rid is None or oldest.raw):
                    slot = oldest
            if slot is None:
                self.orphans.append(msg)
                return
            self._slots.pop(slot.key, None)
            for i in slot.ids:
                self._by_id.pop(i, None)
        if slot.raw:
            _resolve(slot.future, result=msg)
            return
        if "error" in msg:
            err = RPCError.from_error(msg["error"])
            if slot.results is not None and rid is not None and rid in slot.ids:
                # A batch answered with a lone object (unexpected): keep the shape.
                _resolve(slot.future, result=[
                    err if i == rid else RPCError(-32603, "no answer for this batch member")
                    for i in slot.ids
                ])
            else:
                _resolve(slot.future, error=err)
        else:
            _resolve(slot.future, result=msg.get("result"))

    def _on_batch_answer(self, items: list) -> None:
        with self._state_lock:
            slot = None
            for item in items:
                if isinstance(item, dict) and item.get("id") is not None:
                    slot = self._by_id.get(item["id"])
                    if slot is not None:
                        break
            if slot is None:
                oldest = self._take_oldest()
                if oldest is not None and (oldest.raw or oldest.results is not None):
                    slot = oldest
            if slot is None:
                self.orphans.append(items)
                return
            self._slots.pop(slot.key, None)
            for i in slot.ids:
                self._by_id.pop(i, None)
        if slot.raw:
            _resolve(slot.future, result=items)
            return
        results: dict[Any, Any] = {}
        unmatched: list[Any] = []
        for item in items:
            if not isinstance(item, dict):
                continue
            value = (RPCError.from_error(item["error"]) if "error" in item
                     else item.get("result"))
            rid = item.get("id")
            if rid in slot.ids and rid not in results:
                results[rid] = value
            else:
                unmatched.append(value)
        out = []
        for rid in slot.ids:
            if rid in results:
                out.append(results[rid])
            elif unmatched:
                out.append(unmatched.pop(0))  # e.g. a member answered with id null
            else:
                out.append(RPCError(-32603, "no answer for this batch member"))
        if slot.results is None:  # a single call answered with an array
            first = out[0]
            if isinstance(first, RPCError):
                _resolve(slot.future, error=first)
            else:
                _resolve(slot.future, result=first)
        else:
            _resolve(slot.future, result=out)

    def _shutdown(self, reason: BaseException | None) -> None:
        with self._state_lock:
            if self._closed:
                return
            self._closed = True
            self._close_reason = reason
            slots = list(self._slots.values())
            self._slots.clear()
            self._by_id.clear()
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self._sock.close()
        except OSError:
            pass
        msg = "connection closed" + (f": {reason}" if reason else "")
        for slot in slots:
            _resolve(slot.future, error=ConnectionClosed(msg))
        self._events.put(_CLOSED)


def _request(method: str, params: Any, rid: Any) -> dict:
    if not isinstance(method, str) or not method:
        raise ValueError("method must be a non-empty string")
    msg: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        msg["params"] = params
    if rid is not None:
        msg["id"] = rid
    return msg


def _encode(msg: Any) -> bytes:
    return json.dumps(msg, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def _resolve(future: Future, result: Any = None, error: BaseException | None = None) -> None:
    if future.done():
        return
    try:
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)
    except Exception:  # InvalidStateError on a race with cancel(); ignore
        pass
