"""A progress bar written through the command's stdout (no tqdm: not a dependency)."""

WIDTH = 30


def progress_bar(command, label: str = ""):
    """``progress(done, total)`` drawing ``label [#####.....] done/total`` on one line."""

    def draw(done: int, total: int) -> None:
        filled = int(WIDTH * done / total) if total else WIDTH
        prefix = f"{label} " if label else ""
        command.stdout.write(f"\r{prefix}[{'#' * filled}{'.' * (WIDTH - filled)}] {done}/{total}", ending="")
        command.stdout.flush()

    return draw
