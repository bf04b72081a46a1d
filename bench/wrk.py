"""Closed-loop rounds with wrk (Debian package `wrk`): -t1 -c100, pre-rendered requests in rotation."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

LUA = Path(__file__).resolve().parent / "lua" / "rotate.lua"


class WrkMissingError(RuntimeError):
    pass


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    non_2xx_3xx: int
    socket_errors: dict[str, int]
    issued: int
    wrapped: int
    output: str

    @property
    def errors(self) -> int:
        return self.non_2xx_3xx + sum(self.socket_errors.values())


def wrk_path() -> str:
    path = shutil.which("wrk")
    if not path:
        raise WrkMissingError("wrk is not installed: `make bench` installs it (apt-get install wrk)")
    return path


def write_requests(path: Path, raw_requests: list[bytes]) -> None:
    """The file rotate.lua reads: raw requests separated by NUL bytes."""
    for raw in raw_requests:
        if b"\0" in raw:
            raise ValueError("a request holds a NUL byte")
    path.write_bytes(b"\0".join(raw_requests))


def parse(output: str) -> WrkResult:
    done = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", output)
    if not done:
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    seconds = float(done.group(2)) * {"ms": 0.001, "s": 1, "m": 60}[done.group(3)]
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    socket_errors = (
        dict(zip(("connect", "read", "write", "timeout"), (int(x) for x in sock.groups()), strict=True)) if sock else {}
    )
    bench = re.search(r"BENCH issued=(\d+) wrapped=(\d+)", output)
    return WrkResult(
        requests=int(done.group(1)),
        seconds=seconds,
        rps=float(rps.group(1)) if rps else int(done.group(1)) / seconds,
        non_2xx_3xx=int(non2xx.group(1)) if non2xx else 0,
        socket_errors={k: v for k, v in socket_errors.items() if v},
        issued=int(bench.group(1)) if bench else 0,
        wrapped=int(bench.group(2)) if bench else 0,
        output=output,
    )


def run(
    *, url: str, requests_file: Path, seconds: float, connections: int = 100, threads: int = 1, timeout: int = 30
) -> WrkResult:
    command = [
        wrk_path(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={timeout}s",
        "-s",
        str(LUA),
        url,
        "--",
        str(requests_file),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + timeout + 30, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse(done.stdout)
