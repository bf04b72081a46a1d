"""Local media: how long a video's files are kept (seed Appendix A) and how large a render may be.

``media_purge`` frees the disk under STORAGE_BASE_PATH, run daily by beat
(``media_purge_task``) and by ``manage.py purge_media [--dry-run]``:

- a published video's video and audio files once it has been published VIDEO_RETENTION_DAYS,
  its thumbnail after THUMBNAIL_RETENTION_DAYS (YouTube has the video by then);
- a failed or cancelled video's files VIDEO_RETENTION_DAYS after it last changed (until then a
  retry can still use them);
- orphans: files under STORAGE_BASE_PATH that no video references, once a day old.

It never deletes a file of a video still in progress (queued, processing, ready, uploading),
whether the video references it or only names it (``<video id>.mp4`` before N8N's callback),
nor anything outside STORAGE_BASE_PATH (paths come from N8N; symlinks are resolved first).

``media_oversize`` is the MAX_FILE_SIZE_MB rule on render outputs, and ``video_fail_oversize``
fails a video for it (code ``file_too_large``): the render callback checks it when the render
is accepted, and the upload step again before calling YouTube.
"""

import logging
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import ACTIVE_STATUSES, STOPPED_STATUSES, Video, VideoStatus
from .services import video_transition

logger = logging.getLogger(__name__)

S = VideoStatus
FILE_FIELDS = ("video_path", "audio_path", "thumbnail_path")
FILE_TOO_LARGE = "file_too_large"  # a key of videos.presentation.MESSAGES
# A file no video references yet may be one being written (a step or N8N before its callback).
ORPHAN_MIN_AGE = timedelta(hours=24)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)

PUBLISHED_VIDEO = "published_video"
PUBLISHED_THUMBNAIL = "published_thumbnail"
STOPPED = "stopped_video"
ORPHAN = "orphan"
REASONS = {
    PUBLISHED_VIDEO: "published videos' video and audio files",
    PUBLISHED_THUMBNAIL: "published videos' thumbnails",
    STOPPED: "failed and cancelled videos' files",
    ORPHAN: "orphans (no video references them)",
}

Progress = Callable[[str, int, int], None]  # (phase, done, total)


@dataclass(frozen=True)
class PurgedFile:
    path: str
    size: int
    reason: str
    video_id: str | None = None


@dataclass
class PurgeReport:
    """What a purge freed (or, with ``dry_run``, would free) and what it kept on purpose."""

    dry_run: bool
    root: str
    files: list[PurgedFile] = field(default_factory=list)
    kept_in_progress: int = 0  # files of videos still in progress
    kept_recent: int = 0  # unreferenced files younger than ORPHAN_MIN_AGE
    outside_storage: int = 0  # referenced files outside STORAGE_BASE_PATH (never deleted here)
    missing: int = 0  # references to files already gone (the reference is cleared)
    errors: list[str] = field(default_factory=list)

    @property
    def bytes_freed(self) -> int:
        return sum(item.size for item in self.files)

    def by_reason(self) -> dict[str, tuple[int, int]]:
        """reason -> (files, bytes), in REASONS order."""
        totals = dict.fromkeys(REASONS, (0, 0))
        for item in self.files:
            count, size = totals[item.reason]
            totals[item.reason] = (count + 1, size + item.size)
        return totals

    def summary(self) -> dict:
        return {
            "dry_run": self.dry_run,
            "files": len(self.files),
            "bytes": self.bytes_freed,
            "by_reason": {reason: {"files": n, "bytes": b} for reason, (n, b) in self.by_reason().items()},
            "kept_in_progress": self.kept_in_progress,
            "kept_recent": self.kept_recent,
            "outside_storage": self.outside_storage,
            "missing": self.missing,
            "errors": len(self.errors),
        }


def human_bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"  # pragma: no cover - the loop returns at GB


# --- Paths -----------------------------------------------------------------------------------


def storage_root() -> Path:
    return Path(os.path.realpath(settings.STORAGE_BASE_PATH))


def _resolve(value: str, root: Path) -> Path:
    """A stored path as the real file it names: relative paths are under the storage root."""
    path = Path(value)
    return Path(os.path.realpath(path if path.is_absolute() else root / path))


def _inside(path: Path, root: Path) -> bool:
    return path != root and path.is_relative_to(root)


# --- The size limit --------------------------------------------------------------------------


@dataclass(frozen=True)
class Oversize:
    size: int
    limit_mb: int

    @property
    def message(self) -> str:
        return (
            f"Rendered file too large: {human_bytes(self.size)} is over the {self.limit_mb} MB upload limit "
            "(MAX_FILE_SIZE_MB)"
        )


def media_oversize(value: str) -> Oversize | None:
    """The file's size if it is over MAX_FILE_SIZE_MB, else None (also when there is no such file
    here: the upload reports a missing file itself)."""
    if not value:
        return None
    limit_mb = int(settings.MAX_FILE_SIZE_MB)
    try:
        size = os.stat(_resolve(value, storage_root())).st_size
    except OSError:
        return None
    return Oversize(size=size, limit_mb=limit_mb) if size > limit_mb * 1024 * 1024 else None


def video_fail_oversize(
    *, video: Video, oversize: Oversize, step: str, data: dict | None = None, fields: dict | None = None
) -> Video:
    """Fail ``video`` because its rendered file is over MAX_FILE_SIZE_MB, with the reason code
    ``file_too_large`` (customers see its sentence; staff the sizes). Through the state machine,
    so its open cost holds are given back. ``fields`` are saved with the transition."""
    with transaction.atomic():
        locked = Video.objects.select_for_update().get(pk=video.pk)
        failure = {"code": FILE_TOO_LARGE, "step": step, "size_bytes": oversize.size, "limit_mb": oversize.limit_mb}
        return video_transition(
            video=locked,
            to_status=S.FAILED,
            reason=f"{step}: file too large",
            data={**(data or {}), "code": FILE_TOO_LARGE, "step": step},
            error_message=oversize.message,
            fields={**(fields or {}), "metadata": {**(locked.metadata or {}), "failure": failure}},
        )


# --- Retention -------------------------------------------------------------------------------


def _due(video: Video, *, video_cutoff: datetime, thumbnail_cutoff: datetime) -> dict[str, str]:
    """The video's file fields whose retention is over, with the reason."""
    due: dict[str, str] = {}
    if video.status == S.PUBLISHED and video.published_at:
        if video.published_at < video_cutoff:
            due.update(video_path=PUBLISHED_VIDEO, audio_path=PUBLISHED_VIDEO)
        if video.published_at < thumbnail_cutoff:
            due["thumbnail_path"] = PUBLISHED_THUMBNAIL
    elif video.status in STOPPED_STATUSES and video.updated_at < video_cutoff:
        due = dict.fromkeys(FILE_FIELDS, STOPPED)
    return {name: reason for name, reason in due.items() if getattr(video, name)}


def _candidates(*, video_cutoff: datetime, thumbnail_cutoff: datetime) -> list:
    has_media = ~Q(video_path="") | ~Q(audio_path="")
    published = Q(status=S.PUBLISHED) & (
        (Q(published_at__lt=video_cutoff) & has_media) | (Q(published_at__lt=thumbnail_cutoff) & ~Q(thumbnail_path=""))
    )
    stopped = Q(status__in=STOPPED_STATUSES, updated_at__lt=video_cutoff) & (has_media | ~Q(thumbnail_path=""))
    return list(Video.objects.filter(published | stopped).order_by("pk").values_list("pk", flat=True))


def _in_progress(root: Path) -> tuple[set[Path], set[str]]:
    """The files in-progress videos reference, and their ids (a file may only name its video)."""
    paths: set[Path] = set()
    ids: set[str] = set()
    for pk, *values in Video.objects.filter(status__in=ACTIVE_STATUSES).values_list("pk", *FILE_FIELDS).iterator():
        ids.add(str(pk))
        paths.update(_resolve(value, root) for value in values if value)
    return paths, ids


def _remove(path: Path, *, reason: str, video_id: str | None, report: PurgeReport) -> bool:
    """Delete one regular file (unless dry run) and record it; False if it was not there."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        report.missing += 1
        return False
    if not stat.S_ISREG(info.st_mode):
        return False
    if not report.dry_run:
        try:
            path.unlink()
        except FileNotFoundError:
            report.missing += 1
            return False
        except OSError as exc:
            report.errors.append(f"{path}: {exc.strerror or exc}")
            return False
    report.files.append(PurgedFile(path=str(path), size=info.st_size, reason=reason, video_id=video_id))
    return True


def _purge_video(pk, *, root: Path, cutoffs: dict, protected: set[Path], report: PurgeReport, now: datetime) -> None:
    with transaction.atomic():
        query = Video.objects.filter(pk=pk)
        video = (query if report.dry_run else query.select_for_update()).first()
        if video is None:
            return
        cleared = []
        for name, reason in _due(video, **cutoffs).items():
            path = _resolve(getattr(video, name), root)
            if not _inside(path, root):
                report.outside_storage += 1
            elif path in protected:
                report.kept_in_progress += 1
            elif _remove(path, reason=reason, video_id=str(pk), report=report) or not path.exists():
                cleared.append(name)
        if report.dry_run or not cleared:
            return
        # The record says the file is gone; a retried stopped video makes again what it lost.
        metadata = dict(video.metadata or {})
        metadata["media_purged"] = {**(metadata.get("media_purged") or {}), **dict.fromkeys(cleared, now.isoformat())}
        if video.status in STOPPED_STATUSES:
            pipeline = dict(metadata.get("pipeline") or {})
            if "audio_path" in cleared:
                pipeline.pop("voice", None)
            if "video_path" in cleared:
                pipeline.pop("render", None)
            metadata["pipeline"] = pipeline
        for name in cleared:
            setattr(video, name, "")
        video.metadata = metadata
        video.save(update_fields=[*cleared, "metadata", "updated_at"])


def _purge_orphans(*, root: Path, now: datetime, report: PurgeReport, progress: Progress | None) -> None:
    referenced: set[Path] = set()
    for values in Video.objects.values_list(*FILE_FIELDS).iterator():
        referenced.update(_resolve(value, root) for value in values if value)
    _, active_ids = _in_progress(root)  # read after the references: a video started meanwhile is kept
    files = [
        Path(folder) / name
        for folder, _, names in os.walk(root, followlinks=False)
        for name in names
        if not name.startswith(".")
    ]
    young = (now - ORPHAN_MIN_AGE).timestamp()
    for done, path in enumerate(files, start=1):
        if path not in referenced:  # a referenced file goes (or stays) with its video, above
            _purge_orphan(path, root=root, active_ids=active_ids, young=young, report=report)
        if progress:
            progress("files", done, len(files))


def _purge_orphan(path: Path, *, root: Path, active_ids: set[str], young: float, report: PurgeReport) -> None:
    named = {match.lower() for match in _UUID.findall(str(path.relative_to(root)))}
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISREG(info.st_mode):
        return  # symlinks and the like are never deleted (nor followed)
    if named & active_ids:
        report.kept_in_progress += 1
    elif info.st_mtime > young:
        report.kept_recent += 1
    else:
        _remove(path, reason=ORPHAN, video_id=None, report=report)


def media_purge(*, dry_run: bool = False, now: datetime | None = None, progress: Progress | None = None) -> PurgeReport:
    """Free media past retention under STORAGE_BASE_PATH (see the module docstring for what goes
    when); with ``dry_run`` nothing is deleted or changed and the report says what would be.

    Each video is handled under its row lock, re-checked there (a video retried meanwhile is in
    progress again and keeps its files); the references to deleted files are cleared and the time
    recorded in ``metadata["media_purged"]``. ``progress(phase, done, total)`` is called as
    videos and files are checked. Returns the report (files and bytes freed, what was kept)."""
    now = now or timezone.now()
    root = storage_root()
    report = PurgeReport(dry_run=dry_run, root=str(root))
    if not root.is_dir():
        return report
    cutoffs = {
        "video_cutoff": now - timedelta(days=int(settings.VIDEO_RETENTION_DAYS)),
        "thumbnail_cutoff": now - timedelta(days=int(settings.THUMBNAIL_RETENTION_DAYS)),
    }
    candidates = _candidates(**cutoffs)
    protected, _ = _in_progress(root)
    for done, pk in enumerate(candidates, start=1):
        _purge_video(pk, root=root, cutoffs=cutoffs, protected=protected, report=report, now=now)
        if progress:
            progress("videos", done, len(candidates))
    _purge_orphans(root=root, now=now, report=report, progress=progress)
    logger.info("media purge", extra={"root": str(root), **report.summary()})
    for error in report.errors[:20]:
        logger.warning("media purge could not delete a file", extra={"error": error})
    return report
