"""The harness's terminal output (a command-line tool: it talks through stdout)."""

import sys


def say(message: str = "", *, error: bool = False) -> None:
    stream = sys.stderr if error else sys.stdout
    stream.write(message + "\n")
    stream.flush()
