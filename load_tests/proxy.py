"""nginx with deploy/nginx.conf.template in front of a server under test; stopped by its PID."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from load_tests.server import ROOT, free_port, stop

TEMPLATE = ROOT / "deploy/nginx.conf.template"
_READY_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Proxy:
    """A running nginx: where it answers and the file its access and error logs go to."""

    base_url: str
    port: int
    log_path: Path

    def log(self) -> str:
        """Everything nginx logged so far."""
        return self.log_path.read_text(errors="replace")


def render_nginx_conf(listen: str, upstream: str) -> str:
    """The template with its two variables filled in, as `envsubst` does in deployment."""
    text = TEMPLATE.read_text()
    text = text.replace("${NGINX_LISTEN}", listen).replace("${NGINX_UPSTREAM}", upstream)
    if "${" in text:
        raise ValueError(f"{TEMPLATE} has a variable render_nginx_conf does not fill in")
    return text


def configured_seconds(directive: str) -> float:
    """A timeout the template sets in seconds, e.g. configured_seconds("client_body_timeout")."""
    found = re.search(rf"^\s*{directive} (\d+)s;", TEMPLATE.read_text(), re.MULTILINE)
    if found is None:
        raise ValueError(f"{TEMPLATE} sets no {directive} in seconds")
    return float(found.group(1))


@contextmanager
def proxied(upstream: str) -> Iterator[Proxy]:
    """nginx on a free loopback port in front of `upstream` (host:port), foreground, own prefix.

    The prefix (config, pid, temp files, log) is a fresh directory under the system temp dir,
    readable by the unprivileged user nginx's workers run as when started by root.
    """
    nginx = shutil.which("nginx")
    if nginx is None:
        raise RuntimeError("nginx is not on PATH (Debian: apt-get install nginx)")
    with tempfile.TemporaryDirectory(prefix="trust-signals-nginx-") as name:
        prefix = Path(name)
        prefix.chmod(0o755)
        port = free_port()
        conf = prefix / "nginx.conf"
        conf.write_text(render_nginx_conf(f"127.0.0.1:{port}", upstream))
        command = [nginx, "-p", f"{prefix}/", "-c", str(conf), "-e", "stderr"]
        command += ["-g", f"daemon off; pid {prefix}/nginx.pid;"]
        log_path = prefix / "nginx.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
            try:
                _wait_listening(port, process, log_path)
                yield Proxy(f"http://127.0.0.1:{port}", port, log_path)
            finally:
                stop(process)


def _wait_listening(port: int, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + _READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited with {process.returncode}: {log_path.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nginx not listening on {port} within {_READY_SECONDS:.0f} s")
