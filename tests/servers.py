"""Real memcached and redis-server processes for the client tests.

``running(kind, count, folder)`` is a context manager that starts ``count``
servers of a kind ("memcached" or "redis"), each listening on 127.0.0.1
alone, on a port picked here, waits until each answers, and stops them all
when the block ends, however it ends (a failed assertion, an interrupt).
The test files wrap it in a fixture of their own, one group a module, and
``reset`` each server before each test::

    @pytest.fixture(scope="module")
    def memcached_pool(tmp_path_factory):
        with servers.running("memcached", 4, tmp_path_factory.mktemp("m")) as group:
            yield group

    @pytest.fixture
    def memcached(memcached_pool):
        for server in memcached_pool:
            server.reset()  # running, answering and empty, whatever the last test did
        return memcached_pool

A :class:`Server` can be paused and resumed (SIGSTOP/SIGCONT: its sockets
stay open and its data stays, but it answers nothing), killed, and started
again on the same port (empty, as a restarted cache is).  memcached takes
about a second to exit, which is why a group lives for a module and is
stopped all at once.

Ports: the kernel picks a free one (a socket bound to port 0, then closed),
and the server is started on it.  Another process may take the port in
between; the server then exits, or another program answers on the port.
Each server is asked for its process id once it answers (memcached's
``stats``, Redis's ``INFO server``), so an answer from another program is
never taken for ours, and a lost race is retried on a new port.

Missing programs and client libraries: the tests that need them are
skipped and say what is missing, unless ``CI`` is set in the environment
(``.ci/run`` is run with ``CI=true``): there they fail, so that CI cannot
pass without running them.  ``RVH_STABLE_SERVER_TESTS=optional`` lets them
skip under CI too, for the jobs that test wheels on systems without the
servers (macOS, Windows, cibuildwheel's containers).

On Linux every server is also started with the parent-death signal set to
SIGKILL, so a test run that is killed outright leaves no server behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import NoReturn

HOST = "127.0.0.1"
#: How long a server may take to answer after it was started.
START_TIMEOUT = 10.0
#: How long a stopped server may take to exit before it is killed.
STOP_TIMEOUT = 5.0
#: Ports tried before giving up when others keep taking the one picked.
PORT_ATTEMPTS = 5


def servers_required() -> bool:
    """True under CI (``CI`` set), where a missing server fails the test."""
    if os.environ.get("RVH_STABLE_SERVER_TESTS", "") == "optional":
        return False
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def missing(what: str) -> NoReturn:
    import pytest

    if servers_required():
        pytest.fail(
            f"{what}; CI is set, so the server tests must run "
            "(RVH_STABLE_SERVER_TESTS=optional lets them skip)",
            pytrace=False,
        )
    pytest.skip(
        f"{what} (the server tests need it; under CI they fail without it)",
        allow_module_level=True,
    )


def require_module(name: str) -> ModuleType:
    """The client library ``name``, imported; or skip (fail under CI)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        missing(f"the Python package {name} is not installed (pip install -e '.[test]')")


@dataclass(frozen=True)
class Kind:
    """How to start one kind of server, ask it for its process id, and empty it."""

    binary: str
    args: Callable[[int, Path], list[str]]
    #: Sent once connected; the answer holds the server's process id.
    probe: bytes
    pid_line: re.Pattern[bytes]
    #: Drops every key; ``flushed`` is the answer.
    flush: bytes
    flushed: re.Pattern[bytes]
    package: str  # the Debian package that holds the binary


def _memcached_args(port: int, folder: Path) -> list[str]:
    # -U 0: no UDP.  memcached refuses to run as root without -u.
    user = ["-u", "root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    return ["-l", HOST, "-p", str(port), "-U", "0", *user]


def _redis_args(port: int, folder: Path) -> list[str]:
    # No snapshots, no append-only file: nothing is written but the log,
    # and --dir keeps even that out of the current folder.
    return [
        "--bind", HOST, "--port", str(port), "--save", "", "--appendonly", "no",
        "--dir", str(folder),
    ]  # fmt: skip


KINDS = {
    "memcached": Kind(
        binary="memcached",
        args=_memcached_args,
        probe=b"stats\r\n",
        pid_line=re.compile(rb"STAT pid (\d+)\r\n"),
        flush=b"flush_all\r\n",
        flushed=re.compile(rb"^OK\r\n"),
        package="memcached",
    ),
    "redis": Kind(
        binary="redis-server",
        args=_redis_args,
        probe=b"INFO server\r\n",
        pid_line=re.compile(rb"process_id:(\d+)\r\n"),
        flush=b"FLUSHALL\r\n",
        flushed=re.compile(rb"^\+OK\r\n"),
        package="redis-server",
    ),
}


def free_port() -> int:
    """A port no socket is bound to now, on HOST (it may be taken later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, before exec
    # PR_SET_PDEATHSIG (1): the kernel sends SIGKILL when the parent dies.
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)


def _ask(port: int, request: bytes, answer: re.Pattern[bytes]) -> re.Match[bytes] | None:
    """Send ``request`` to the program on ``port``; the match of ``answer`` in
    its reply, or None if nothing answers (yet)."""
    try:
        with socket.create_connection((HOST, port), timeout=1.0) as s:
            s.sendall(request)
            reply = b""
            while (found := answer.search(reply)) is None:
                chunk = s.recv(65536)
                if not chunk:
                    return None
                reply += chunk
            return found
    except OSError:
        return None


def _wait_for_state(pid: int, stopped: bool) -> None:
    """Wait until every thread of ``pid`` is stopped (state T), or none is.
    Without /proc, wait a moment instead."""
    tasks = Path(f"/proc/{pid}/task")
    if not tasks.is_dir():
        time.sleep(0.05)
        return
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        states = []
        for task in tasks.iterdir():
            with contextlib.suppress(OSError):
                # The state follows the command's closing parenthesis.
                states.append((task / "stat").read_text().rsplit(")", 1)[1].split()[0])
        if states and all((state == "T") is stopped for state in states):
            return
        time.sleep(0.002)
    raise ServerError(f"process {pid} did not {'stop' if stopped else 'continue'}")


class ServerError(RuntimeError):
    """A server did not start, or did not answer."""


class Server:
    """One server process on 127.0.0.1:``port``."""

    def __init__(self, kind: str, folder: Path, port: int | None = None) -> None:
        self.kind = KINDS[kind]
        self.folder = folder
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.paused = False
        self.log = folder / f"{kind}.log"
        if port is not None:
            self._start_on(port)
            return
        for attempt in range(PORT_ATTEMPTS):
            try:
                self._start_on(free_port())
                return
            except ServerError:
                if attempt == PORT_ATTEMPTS - 1:
                    raise

    @property
    def name(self) -> str:
        """``host:port``: the name pymemcache's HashClient gives this server."""
        return f"{HOST}:{self.port}"

    @property
    def address(self) -> tuple[str, int]:
        return (HOST, self.port)

    def _start_on(self, port: int) -> None:
        self.port = port
        binary = shutil.which(self.kind.binary)
        if binary is None:
            missing(f"{self.kind.binary} is not on PATH (apt-get install {self.kind.package})")
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [binary, *self.kind.args(port, self.folder)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        self.paused = False
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"{self.kind.binary} on port {port} exited: {self.log_tail()}")
            found = _ask(port, self.kind.probe, self.kind.pid_line)
            pid = None if found is None else int(found.group(1))
            if pid == self.process.pid:
                return
            if pid is not None:  # another program holds the port
                self._end()
                raise ServerError(f"port {port} is taken by process {pid}")
            time.sleep(0.01)
        self._end()
        raise ServerError(f"{self.kind.binary} on port {port} did not answer: {self.log_tail()}")

    def log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-2000:]
        except OSError:
            return "(no log)"

    def pause(self) -> None:
        """SIGSTOP: connections stay open and data stays; nothing is answered."""
        assert self.process is not None and self.process.poll() is None
        os.kill(self.process.pid, signal.SIGSTOP)
        self.paused = True
        # The signal is sent, not yet acted on: a thread on another CPU may
        # still answer a request.  Wait until every thread is stopped.
        _wait_for_state(self.process.pid, stopped=True)

    def resume(self) -> None:
        """SIGCONT: the server answers again (the requests queued meanwhile first)."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)
        self.paused = False
        _wait_for_state(self.process.pid, stopped=False)

    def kill(self) -> None:
        """SIGKILL, at once: connections are refused, the data is gone."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()
        self.paused = False

    def restart(self) -> None:
        """Start the server again on its port (after ``kill`` or ``stop``), empty."""
        assert self.process is None or self.process.poll() is not None
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                self._start_on(self.port)
                return
            except ServerError:
                # The port may still be held by the killed server's sockets
                # for a moment; never another port: the name must not change.
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def reset(self) -> None:
        """Running, answering and empty again, whatever a test did to it."""
        if self.process is None or self.process.poll() is not None:
            self.restart()
        elif self.paused:
            self.resume()
        if _ask(self.port, self.kind.flush, self.kind.flushed) is None:
            raise ServerError(f"{self.kind.binary} on port {self.port} did not flush")

    def stop(self) -> None:
        """Terminate, wait, kill if it does not exit; a no-op once it has exited."""
        self._end()

    def _terminate(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        if self.paused:  # a stopped process handles SIGTERM only once continued
            os.kill(process.pid, signal.SIGCONT)
            self.paused = False
        process.terminate()

    def _reap(self) -> None:
        process = self.process
        if process is None:
            return
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _end(self) -> None:
        self._terminate()
        self._reap()


@contextlib.contextmanager
def running(kind: str, count: int, folder: Path) -> Iterator[list[Server]]:
    """``count`` servers of ``kind``, each in a folder of its own under
    ``folder``; all stopped when the block ends, however it ends."""
    started: list[Server] = []
    try:
        for i in range(count):
            home = folder / f"{kind}-{i}"
            home.mkdir(parents=True, exist_ok=True)
            started.append(Server(kind, home))
        yield started
    finally:
        # All at once: memcached takes about a second to exit.
        for server in started:
            server._terminate()
        for server in started:
            server._reap()
