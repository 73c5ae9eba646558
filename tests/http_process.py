"""``collider run --http`` as a real subprocess: start it, wait until healthy, talk HTTP, stop it.

Shared by the HTTP-mode tests and the benchmarks, so both exercise the command people deploy.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def clean_environment(variables: dict[str, str]) -> dict[str, str]:
    """Only what Python needs plus ``variables``: no SLACK_* or DATABASE_URL leaks in."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env["PYTHONPATH"] = str(REPO_ROOT)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(variables)
    return env


def run_collider(
    args: list[str], variables: dict[str, str], cwd: Path, timeout: float = 20
) -> subprocess.CompletedProcess[str]:
    """Run ``collider ARGS`` to completion (for commands that should exit by themselves)."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=clean_environment(variables),
        cwd=cwd,  # a directory without .env, so only ``variables`` configure it
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class HttpEndpoint:
    """A server on 127.0.0.1:``port``, asked one request per new connection (as Slack does)."""

    def __init__(self, port: int, timeout: float = 10):
        self.port = port
        self.timeout = timeout

    def request(
        self,
        method: str,
        path: str,
        body: str | bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=self.timeout if timeout is None else timeout
        )
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()


class HttpProcess(HttpEndpoint):
    """A WSGI server process on 127.0.0.1 (``python -m MODULE ...``), output in ``log_path``."""

    def __init__(self, module_args: list[str], variables: dict[str, str], workdir: Path, port: int):
        super().__init__(port)
        self.log_path = workdir / f"server-{self.port}.log"
        self._log = self.log_path.open("w")
        # A file, not a pipe: debug logs would fill a pipe nobody reads and stall the server.
        self.process = subprocess.Popen(
            [sys.executable, "-m", *module_args],
            env=clean_environment(variables),
            cwd=workdir,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_until_healthy(self, timeout: float = 60) -> dict[str, Any]:
        # Generous: the supervisor, gunicorn's master, each worker and the background process
        # start as interpreters of their own, and a busy 2-core machine may take a while.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"collider exited with {self.process.returncode} before it was healthy:\n"
                    + self.log()
                )
            try:
                status, body = self.request("GET", "/healthz", timeout=1)
            except OSError:
                time.sleep(0.05)
                continue
            if status == 200:
                return dict(json.loads(body))
            time.sleep(0.05)
        raise RuntimeError(f"collider was not healthy within {timeout} s:\n{self.log()}")

    def stop(self, timeout: float = 15) -> int:
        """SIGTERM (gunicorn's graceful shutdown) and the exit code; SIGKILL if it hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def __enter__(self) -> HttpProcess:
        try:
            self.wait_until_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class HttpCollider(HttpProcess):
    """One ``collider run --http`` process on 127.0.0.1."""

    def __init__(
        self,
        variables: dict[str, str],
        workdir: Path,
        *,
        workers: int = 1,
        threads: int | None = None,
        worker_class: str | None = None,
        verbose: bool = False,
        bind: tuple[str, ...] = ("--host", "127.0.0.1"),
        module: str = "bot",
    ):
        port = free_port()
        # ``module``: the CLI, or a benchmark's wrapper of it (benchmarks/profiled_collider.py).
        args = [module] + (["-v"] if verbose else [])
        args += ["run", "--http", *bind, "--port", str(port)]
        args += ["--workers", str(workers)]
        if threads is not None:
            args += ["--threads", str(threads)]
        if worker_class is not None:
            args += ["--worker-class", worker_class]
        super().__init__(args, variables, workdir, port)

    def __enter__(self) -> HttpCollider:
        super().__enter__()
        return self


def stalled_clients(port: int, count: int) -> list[socket.socket]:
    """``count`` connections that send a request's headers and then nothing more (a slow or
    hostile client: the body they announce never comes)."""
    clients = []
    for _ in range(count):
        client = socket.create_connection(("127.0.0.1", port), timeout=5)
        client.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 4000\r\n\r\n"
        )
        clients.append(client)
    return clients
