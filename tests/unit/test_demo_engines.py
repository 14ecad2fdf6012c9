"""The cluster demo's setup checks and the storage node's command line
(:mod:`graphmetrics.demo.engines`, :mod:`graphmetrics.demo.cluster`)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from graphmetrics.demo import engines
from graphmetrics.demo.cluster import SERVICES, Ports


def test_each_socket_gets_its_own_commands_and_nothing_binds_every_interface() -> None:
    argv = engines.rrdcached_command(
        Path("/rrd"), Path("/j"), Path("/pid"), Path("/s.sock"), 42218, write_port=42217
    )
    assert "-L" not in argv
    pairs = [(argv[i - 1], argv[i + 1]) for i, arg in enumerate(argv) if arg == "-l"]
    assert [listen for _, listen in pairs] == ["unix:/s.sock", "127.0.0.1:42217", "127.0.0.1:42218"]
    permissions = [argv[argv.index(listen) - 2] for _, listen in pairs]
    assert permissions == [engines.WRITE_COMMANDS] * 2 + [engines.READ_COMMANDS]
    assert not {"UPDATE", "CREATE", "BATCH", "FORGET"} & set(engines.READ_COMMANDS.split(","))
    assert {"UPDATE", "CREATE", "FLUSH", "FORGET", "INFO"} <= set(engines.WRITE_COMMANDS.split(","))
    assert argv[argv.index("-p") + 1] == "/pid"  # never the system's pid file


def test_a_taken_port_is_named_with_the_option_that_moves_it() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ports = Ports.from_first(port, 1)
        with pytest.raises(engines.SetupError, match=rf"port {port} \(haproxy \(--port\)\)"):
            engines.check_ports({"haproxy (--port)": port})
    assert list(ports.named())[1:] == [f"{s} (--first-port)" for s in SERVICES]


def test_two_services_on_one_port_are_refused() -> None:
    ports = Ports.from_first(17_501, 17_500)  # haproxy on web2's port
    with pytest.raises(engines.SetupError, match="two services share a port"):
        engines.check_ports(ports.named())


def test_haproxy_checks_every_web_process() -> None:
    config = engines.haproxy_config(8080, [6543, 6544], Path("/run/h.sock"))
    assert "bind 127.0.0.1:8080" in config
    assert "server web1 127.0.0.1:6543 check" in config
    assert "server web2 127.0.0.1:6544 check" in config
    assert "http-check send meth GET uri /healthz" in config
