"""Tests for switchboard_client against a real server process.

The server binary comes from SWITCHBOARD_BIN (default
../../.build/debug/switchboard relative to clients/python).  Each test starts
``switchboard serve --data-dir TMP --listen 127.0.0.1:0`` and stops it with
SIGTERM, expecting exit code 0.

Run:  cd clients/python && python3 -m unittest discover -s tests -v
  or: cd clients/python && python3 -m pytest tests
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path

PKG_ROOT = Path(__file__).resolve().parent.parent  # clients/python
if str(PKG_ROOT) not in sys.path:
    sys.path.insert(0, str(PKG_ROOT))

from switchboard_client import Client, RPCError, token_from_env_or_file  # noqa: E402

START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
MIB = 1024 * 1024


def server_binary() -> Path:
    env = os.environ.get("SWITCHBOARD_BIN")
    if env:
        return Path(env).resolve()
    return (PKG_ROOT / "../../.build/debug/switchboard").resolve()


class ServerProcess:
    """A running ``switchboard serve`` with its port and stderr log."""

    def __init__(self, data_dir: str):
        self.data_dir = data_dir
        self.log: list[str] = []
        binary = server_binary()
        if not binary.is_file():
            raise RuntimeError(f"server binary not found: {binary} (set SWITCHBOARD_BIN)")
        env = dict(os.environ)
        for k in ("SWITCHBOARD_DATA_DIR", "SWITCHBOARD_LISTEN", "SWITCHBOARD_TOKEN"):
            env.pop(k, None)
        self.proc = subprocess.Popen(
            [str(binary), "serve", "--data-dir", data_dir, "--listen", "127.0.0.1:0"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
        )
        self.port: int | None = None
        self._ready = threading.Event()
        # One thread reads stderr for the whole life of the process: it spots
        # the "listening ... port=NNNN" line and keeps draining afterwards so
        # the pipe never fills up.
        self._drain = threading.Thread(target=self._read_stderr, daemon=True)
        self._drain.start()
        if not self._ready.wait(START_TIMEOUT) or self.port is None:
            self.kill()
            raise RuntimeError(
                "server did not report its port within %ss; log:\n%s"
                % (START_TIMEOUT, "".join(self.log))
            )

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for raw in iter(self.proc.stderr.readline, b""):
            line = raw.decode("utf-8", "replace")
            self.log.append(line)
            if self.port is None and "listening" in line:
                m = re.search(r"\bport=(\d+)", line)
                if m:
                    self.port = int(m.group(1))
                    self._ready.set()
        self._ready.set()  # process ended: stop waiting

    def token(self) -> str:
        with open(os.path.join(self.data_dir, "operator.token"), encoding="utf-8") as f:
            return f.read().strip()

    def client(self, login: bool = True, timeout: float = 10.0) -> Client:
        c = Client.connect("127.0.0.1", self.port, timeout=timeout)
        if login:
            c.login(self.token())
        return c

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(STOP_TIMEOUT)
        finally:
            if self.proc.poll() is None:
                self.kill()
            self._drain.join(timeout=5)
            if self.proc.stderr is not None:
                self.proc.stderr.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self._drain.join(timeout=5)
        if self.proc.stderr is not None:
            self.proc.stderr.close()


class ClientTests(unittest.TestCase):
    def setUp(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="switchboard-py-")
        self.server = ServerProcess(self._tmp.name)
        self._clients: list[Client] = []

    def tearDown(self) -> None:
        for c in self._clients:
            c.close()
        try:
            code = self.server.stop()
            self.assertEqual(
                code, 0, "server exit code %r; log tail:\n%s" % (code, "".join(self.server.log[-20:]))
            )
        finally:
            self._tmp.cleanup()

    def connect(self, login: bool = True) -> Client:
        c = self.server.client(login=login)
        self._clients.append(c)
        return c

    # ------------------------------------------------------------------ tests

    def test_ping_before_login(self) -> None:
        c = self.connect(login=False)
        self.assertEqual(c.call("system.ping"), "pong")
        with self.assertRaises(RPCError) as cm:
            c.call("auth.whoami")
        self.assertEqual(cm.exception.code, -32001)

    def test_login_and_whoami(self) -> None:
        c = self.connect(login=False)
        session = c.login(self.server.token())
        self.assertEqual(session["role"], "operator")
        me = c.call("auth.whoami")
        self.assertEqual(me["role"], "operator")
        self.assertTrue(me["accountId"])

    def test_token_from_env_or_file(self) -> None:
        old = os.environ.pop("SWITCHBOARD_TOKEN", None)
        try:
            self.assertEqual(token_from_env_or_file(self.server.data_dir), self.server.token())
            os.environ["SWITCHBOARD_TOKEN"] = "from-env"
            self.assertEqual(token_from_env_or_file(self.server.data_dir), "from-env")
        finally:
            os.environ.pop("SWITCHBOARD_TOKEN", None)
            if old is not None:
                os.environ["SWITCHBOARD_TOKEN"] = old

    def test_wrong_token(self) -> None:
        c = self.connect(login=False)
        with self.assertRaises(RPCError) as cm:
            c.login("key_nope.definitely-not-a-token")
        self.assertEqual(cm.exception.code, -32001)
        # Still not logged in, connection still usable.
        with self.assertRaises(RPCError) as cm:
            c.call("auth.whoami")
        self.assertEqual(cm.exception.code, -32001)
        self.assertEqual(c.call("system.ping"), "pong")

    def test_validation_error(self) -> None:
        c = self.connect()
        with self.assertRaises(RPCError) as cm:
            c.call("users.create", {"name": "Bob", "email": "not-an-address"})
        err = cm.exception
        self.assertEqual(err.code, -32022)
        self.assertIsInstance(err.data, dict)
        self.assertEqual(err.data["field"], "email")
        self.assertTrue(err.message)

    def test_method_not_found(self) -> None:
        c = self.connect()
        with self.assertRaises(RPCError) as cm:
            c.call("no.suchMethod", {})
        self.assertEqual(cm.exception.code, -32601)

    def test_batch_mixed_results_in_order(self) -> None:
        c = self.connect()
        results = c.batch([
            ("system.ping", None),
            ("no.suchMethod", {}),
            ("users.create", {"name": "Cy", "email": "cy@example.com"}),
            ("users.create", {"name": "Di", "email": "bad"}),
            ("auth.whoami", None),
        ])
        self.assertEqual(len(results), 5)
        self.assertEqual(results[0], "pong")
        self.assertIsInstance(results[1], RPCError)
        self.assertEqual(results[1].code, -32601)
        self.assertEqual(results[2]["email"], "cy@example.com")
        self.assertIsInstance(results[3], RPCError)
        self.assertEqual(results[3].code, -32022)
        self.assertEqual(results[3].data["field"], "email")
        self.assertEqual(results[4]["role"], "operator")
        # The connection keeps working after a batch.
        self.assertEqual(c.call("system.ping"), "pong")

    def test_notify_gets_no_answer(self) -> None:
        c = self.connect()
        c.notify("system.ping")
        c.notify("no.suchMethod")
        self.assertEqual(c.call("system.ping"), "pong")
        self.assertEqual(list(c.orphans), [])

    def test_notifications_users_changed(self) -> None:
        listener = self.connect()
        actor = self.connect()
        sub = listener.call("events.subscribe", {"topics": ["users.changed"]})
        self.assertIn("users.changed", json.dumps(sub))
        user = actor.call("users.create", {"name": "Ann", "email": "ann@example.com"})
        deadline = time.monotonic() + 10
        got = None
        for method, params in listener.notifications(timeout=10):
            if method == "users.changed":
                got = params
                break
            if time.monotonic() > deadline:
                break
        self.assertIsNotNone(got, "no users.changed notification")
        self.assertEqual(got["action"], "created")
        self.assertEqual(got["user"]["id"], user["id"])
        # Calls still work while events are queued / after reading them.
        self.assertEqual(listener.call("system.ping"), "pong")

    def test_notifications_interleaved_with_responses(self) -> None:
        # The subscriber itself creates users: each event arrives on the same
        # connection as the responses; calls must still get their results and
        # the events must wait in the queue.
        c = self.connect()
        c.call("events.subscribe", {"topics": ["users.changed"]})
        ids = [
            c.call("users.create", {"name": f"U{i}", "email": f"u{i}@example.com"})["id"]
            for i in range(3)
        ]
        seen = []
        for method, params in c.notifications(timeout=5):
            if method == "users.changed" and params.get("action") == "created":
                seen.append(params["user"]["id"])
            if len(seen) == 3:
                break
        self.assertEqual(seen, ids)

    def test_pipelining_100_calls(self) -> None:
        c = self.connect()
        futures = []
        for i in range(100):
            if i % 10 == 3:
                futures.append(c.call_async("users.create", {"name": f"P{i}", "email": f"bad{i}"}))
            elif i % 2:
                futures.append(c.call_async("system.ping"))
            else:
                futures.append(c.call_async(
                    "users.create", {"name": f"P{i}", "email": f"p{i}@example.com"}))
        for i, f in enumerate(futures):
            if i % 10 == 3:
                err = f.exception(timeout=20)
                self.assertIsInstance(err, RPCError, i)
                self.assertEqual(err.code, -32022)
                self.assertIn(f"bad{i}", err.message + json.dumps(err.data))
            elif i % 2:
                self.assertEqual(f.result(timeout=20), "pong")
            else:
                self.assertEqual(f.result(timeout=20)["email"], f"p{i}@example.com")

    def test_oversized_line_raw_socket(self) -> None:
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s, \
                s.makefile("rb") as f:
            s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"system.ping","params":{"pad":"'
                      + b"x" * (MIB + 100) + b'"}}\n')
            answer = json.loads(f.readline())
            self.assertIsNone(answer["id"])
            self.assertEqual(answer["error"]["code"], -32600)
            s.sendall(b'{"jsonrpc":"2.0","id":2,"method":"system.ping"}\n')
            answer = json.loads(f.readline())
            self.assertEqual(answer, {"jsonrpc": "2.0", "id": 2, "result": "pong"})

    def test_oversized_line_fails_oldest_pending_call(self) -> None:
        c = self.connect()
        # Raw bytes through the client's own socket.
        answer = c.call_raw(b"y" * (MIB + 1))
        self.assertIsNone(answer["id"])
        self.assertEqual(answer["error"]["code"], -32600)
        # A normal call whose line is too long: the id-null error fails it.
        before = c.call_async("system.ping")
        big = c.call_async("system.ping", {"pad": "z" * (MIB + 1)})
        after = c.call_async("system.ping")
        self.assertEqual(before.result(timeout=10), "pong")
        err = big.exception(timeout=10)
        self.assertIsInstance(err, RPCError)
        self.assertEqual(err.code, -32600)
        self.assertEqual(after.result(timeout=10), "pong")
        self.assertEqual(c.call("auth.whoami")["role"], "operator")

    def test_server_stop_with_open_connection(self) -> None:
        c = self.connect()
        c.call("events.subscribe", {"topics": ["users.changed"]})
        code = self.server.stop()
        self.assertEqual(code, 0, "".join(self.server.log[-20:]))
        # The iterator ends once the server has closed the connection ...
        self.assertEqual(list(c.notifications(timeout=10)), [])
        self.assertTrue(c.closed)
        # ... and further calls fail cleanly.
        with self.assertRaises(ConnectionError):
            c.call("system.ping")

    def test_cli(self) -> None:
        env = dict(os.environ)
        env["SWITCHBOARD_CONNECT"] = f"127.0.0.1:{self.server.port}"
        env["SWITCHBOARD_TOKEN"] = self.server.token()
        run = lambda *args: subprocess.run(  # noqa: E731
            [sys.executable, "-m", "switchboard_client", *args],
            cwd=str(PKG_ROOT), env=env, capture_output=True, text=True, timeout=30)
        ok = run("auth.whoami")
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertEqual(json.loads(ok.stdout)["role"], "operator")
        bad = run("users.create", '{"name":"X","email":"nope"}')
        self.assertEqual(bad.returncode, 1)
        self.assertIn("-32022", bad.stderr)
        self.assertEqual(bad.stdout, "")


if __name__ == "__main__":
    unittest.main()
