"""What capacity allowed (the automation rate's denominator), as a replay: each connected channel's
owed videos (its daily limit) arrive when they became ready (or when they were queued, plus the
day's median production time, for those that never got there; or at automation's spread time for
those never queued), and each is given the earliest upload slot its channel's own YouTube account
really had: the account's configured cap or YouTube's real one (the lower), per Pacific day, while
the account worked (not after its grant was revoked, unless the channel failed over: then the
reserve's slots), and while its project had quota (not between a quotaExceeded and the next
Pacific midnight), before the end of the run. Videos that would have had no slot do not count
against automation: they wait for a stated reason.
"""

from collections import Counter, defaultdict
from datetime import datetime

from channels.models import ChannelEvent


def _dt(raw) -> datetime:
    return raw if isinstance(raw, datetime) else datetime.fromisoformat(raw)


class Capacity:
    """The replay described in the module's docstring."""

    def __init__(self, *, population, truth, start: datetime, end: datetime, midnights: list[datetime], real_caps):
        self.population = population
        self.start, self.end = start, end
        self.midnights = midnights
        self.real_caps = real_caps  # youtube channel id -> YouTube's real daily cap
        self.by_youtube = {info["youtube_channel_id"]: info for info in population.accounts.values()}
        self.revoked = {e.detail["youtube_channel_id"]: _dt(e.sim_at) for e in truth.of("revoked")}
        self.exhausted = [(e.detail["client_id"], _dt(e.sim_at)) for e in truth.of("project_exhausted")]
        self.used: Counter = Counter()

    def slice_of(self, at: datetime) -> int:
        return sum(1 for midnight in self.midnights if midnight <= at)

    def _next_midnight(self, at: datetime) -> datetime:
        return next((m for m in self.midnights if m > at), self.end)

    def usable(self, youtube_channel_id: str, at: datetime) -> bool:
        info = self.by_youtube.get(youtube_channel_id)
        if info is None:
            return False
        revoked = self.revoked.get(youtube_channel_id)
        if revoked is not None and at >= revoked:
            return False
        client_id = self.population.projects.get(info["project_id"])
        return not any(cid == client_id and t <= at < self._next_midnight(t) for cid, t in self.exhausted)

    def cap(self, youtube_channel_id: str) -> int:
        info = self.by_youtube[youtube_channel_id]
        return min(int(info["cap"]), int(self.real_caps.get(youtube_channel_id, info["cap"])))

    def allowed(self, bindings: list[tuple[datetime, datetime, str]], arrivals: list[datetime]) -> int:
        """How many of the channel's videos (arriving at ``arrivals``) had an upload slot in time."""
        changes = sorted(
            {self.start, self.end, *self.midnights, *self.revoked.values()}
            | {t for _, t in self.exhausted}
            | {self._next_midnight(t) for _, t in self.exhausted}
            | {a for a, _, _ in bindings}
            | {b for _, b, _ in bindings}
        )
        given = 0
        for arrival in sorted(arrivals):
            for at in [arrival, *[c for c in changes if c > arrival]]:
                if at >= self.end:
                    break
                youtube = next((y for a, b, y in bindings if a <= at < b), None)
                if youtube is None or not self.usable(youtube, at):
                    continue
                key = (youtube, self.slice_of(at))
                if self.used[key] < self.cap(youtube):
                    self.used[key] += 1
                    given += 1
                    break
        return given


def bindings_of(channel_ids, *, start: datetime, end: datetime) -> dict:
    """Per channel: [(from, to, youtube channel id)] from its connected/disconnected events."""
    events = defaultdict(list)
    for row in (
        ChannelEvent.objects.filter(channel_id__in=channel_ids, kind__in=("youtube_connected", "youtube_disconnected"))
        .order_by("at", "id")
        .values("channel_id", "kind", "at", "data")
    ):
        events[str(row["channel_id"])].append(row)
    result = {}
    for channel_id in channel_ids:
        spans, current, since = [], None, start
        for row in events.get(str(channel_id), []):
            if row["kind"] == "youtube_connected":
                current, since = row["data"].get("youtube_channel_id"), max(start, row["at"])
            elif current is not None:
                spans.append((since, row["at"], current))
                current = None
        if current is not None:
            spans.append((since, end, current))
        result[str(channel_id)] = spans
    return result
