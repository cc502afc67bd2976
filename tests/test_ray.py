"""The Ray Data recipe of docs/guides/columns.md on a real local Ray, in a
child process inside a network namespace of its own (``unshare``), whose only
interface is loopback: Ray binds its servers to every interface it finds, so
this is what keeps them off the machine's network.  The cases are in
tests/ray_cases.py.

Without Ray, or where a network namespace cannot be made (``unshare`` missing,
no user namespaces), the test skips and says why; with ``CI`` set it fails
(tests/servers.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import servers

HERE = Path(__file__).resolve().parent

#: Run first in the namespace: bring loopback up (it starts down), with the
#: ioctls SIOCGIFFLAGS and SIOCSIFFLAGS, so that `ip` is not needed.
LOOPBACK_UP = """
import fcntl, socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
flags = struct.unpack("16sh", fcntl.ioctl(s, 0x8913, struct.pack("16sh", b"lo", 0)))[1]
fcntl.ioctl(s, 0x8914, struct.pack("16sh", b"lo", flags | 1))
import pytest
sys.exit(pytest.main(sys.argv[1:]))
"""


def test_the_ray_recipe_in_a_loopback_only_namespace() -> None:
    servers.require_module("ray")
    unshare = shutil.which("unshare")
    if unshare is None:
        servers.missing("unshare (util-linux) is not installed")
    probe = subprocess.run([unshare, "-rn", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        servers.missing(f"unshare -rn cannot make a network namespace: {probe.stderr.strip()}")
    done = subprocess.run(
        [
            unshare,
            "-rn",
            sys.executable,
            "-c",
            LOOPBACK_UP,
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            str(HERE / "ray_cases.py"),
        ],
        capture_output=True,
        text=True,
        cwd=HERE.parent,
        env=os.environ,
        timeout=600,
    )
    summary = done.stdout.strip().splitlines()[-1:] or [done.stderr[-2000:]]
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in summary[0] and "skipped" not in summary[0], summary
