"""tests/servers.py, the real servers the client tests run against, holds its promises."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import servers


def answers(server: servers.Server) -> bool:
    kind = server.kind
    return servers._ask(server.port, kind.probe, kind.pid_line) is not None


@pytest.mark.parametrize(
    ("env", "outcome"),
    [
        ({}, pytest.skip.Exception),
        ({"CI": "false"}, pytest.skip.Exception),
        ({"CI": "true"}, pytest.fail.Exception),
        ({"CI": "1", "RVH_STABLE_SERVER_TESTS": "optional"}, pytest.skip.Exception),
    ],
)
def test_a_missing_program_skips_except_under_ci(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], outcome: type[BaseException]
) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("RVH_STABLE_SERVER_TESTS", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PATH", "")
    with pytest.raises(outcome, match="memcached is not on PATH"):
        servers.Server("memcached", Path("."))
    with pytest.raises(outcome, match="no_such_module_here"):
        servers.require_module("no_such_module_here")


def test_servers_pause_resume_kill_restart_and_always_stop(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="the block failed"):
        with servers.running("memcached", 2, tmp_path) as group:
            one, two = group
            assert one.port != two.port
            assert answers(one) and answers(two)
            one.pause()
            assert not answers(one)
            one.resume()
            assert answers(one)
            port, pid = two.port, two.process.pid if two.process else 0
            two.kill()
            assert not answers(two)
            two.restart()
            assert answers(two)
            assert two.port == port and two.process is not None and two.process.pid != pid
            one.pause()  # left paused: it must still be stopped
            raise RuntimeError("the block failed")
    for server in group:
        assert server.process is not None and server.process.poll() is not None
        assert not answers(server)


def test_a_port_another_program_holds_is_refused(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind((servers.HOST, 0))
        taken.listen()
        with pytest.raises(servers.ServerError, match="port"):
            servers.Server("memcached", tmp_path, port=taken.getsockname()[1])


def dbsize(server: servers.Server) -> bytes:
    with socket.create_connection(server.address, timeout=1) as s:
        s.sendall(b"DBSIZE\r\n")
        return s.recv(100)


def test_reset_empties_a_server_and_brings_it_back(tmp_path: Path) -> None:
    with servers.running("redis", 1, tmp_path) as (server,):
        with socket.create_connection(server.address, timeout=1) as s:
            s.sendall(b"SET k v\r\n")
            assert s.recv(100) == b"+OK\r\n"
        assert dbsize(server) == b":1\r\n"
        server.reset()
        assert dbsize(server) == b":0\r\n"
        server.kill()
        server.reset()
        assert dbsize(server) == b":0\r\n"
        server.pause()
        server.reset()
        assert dbsize(server) == b":0\r\n"
