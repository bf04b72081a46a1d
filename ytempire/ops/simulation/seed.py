"""The population of a simulated day, made through the app's own services.

Customers (growth tier, or scale when they need more channels) own the channels; the platform's
YouTube accounts are connected by staff through the real OAuth flow against the fake Google
(consent, code exchange with PKCE, channels.list), a fifth of them as reserves; each active
account is bound to one channel (``channel_bind_free_pool_account``), so with 500 channels and 15
accounts 12 channels are connected and the other 488 wait for their owners to connect them
(automation serves only connected channels). Connected channels are opted in to automatic
failover, as staff do for platform channels; their daily video limits add up to --videos-per-day.
"""

import math
import urllib.parse
from dataclasses import dataclass, field

import requests
from django.conf import settings

from accounts.services import user_create
from channels.models import Channel
from channels.services import channel_create
from videos.publishing.binding import channel_bind_free_pool_account, staff_connect_start, youtube_oauth_callback
from youtube_pool.models import GoogleProject, YouTubeAccount
from youtube_pool.services.credentials import project_set_client_secret

from .faults import Dice

NICHES = ("Technology", "Cooking", "Travel", "Finance", "Fitness", "History", "Science", "Gaming", "Music", "Pets")
LEVELS = (("economy", 0.3), ("standard", 0.5), ("premium", 0.2))
REAL_CAP = 10  # what YouTube really lets a channel upload a day (above the configured 5/2)


@dataclass
class Population:
    users: int = 0
    channels: int = 0
    projects: dict = field(default_factory=dict)  # project id -> client id
    accounts: dict = field(default_factory=dict)  # account id -> {"channel_id", "project_id", "reserve", "cap"}
    bound: dict = field(default_factory=dict)  # platform channel id -> account id (at the start)
    owed: dict = field(default_factory=dict)  # platform channel id -> daily video limit
    levels: dict = field(default_factory=dict)  # platform channel id -> optimization level
    surprise: dict = field(default_factory=dict)  # {"channel_id", "youtube_channel_id", "real_cap"}


def _level(dice: Dice) -> str:
    roll = dice.uniform(0, 1)
    for level, share in LEVELS:
        if roll < share:
            return level
        roll -= share
    return "standard"


def _connect(fake, *, staff, email: str, project: GoogleProject, reserve: bool) -> YouTubeAccount:
    """Staff connect a platform account: the real OAuth flow against the fake Google."""
    started = staff_connect_start(staff_user=staff, login_hint=email, is_reserve=reserve, project=str(project.pk))
    response = requests.get(started["authorization_url"], allow_redirects=False, verify=fake.ca_file, timeout=10)
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(response.headers["Location"]).query))
    return youtube_oauth_callback(state=query["state"], code=query.get("code"), error=query.get("error")).account


def seed(
    *, fake, dice: Dice, channels: int, users: int, accounts: int, projects: int, videos_per_day: int, surprise_cap
) -> Population:
    population = Population(users=users, channels=channels)
    per_user = math.ceil(channels / users)
    tier = "growth" if per_user <= settings.TIERS["growth"]["channel_limit"] else "scale"
    owners = [user_create(email=f"customer{i:04d}@simulation.example", password=None, tier=tier) for i in range(users)]
    staff = user_create(email="staff@simulation.example", password=None, tier="scale", role="admin", is_staff=True)

    made: list[Channel] = []
    for i in range(channels):
        level = _level(dice)
        made.append(
            channel_create(
                user=owners[i % users],
                name=f"Channel {i:05d}",
                niche=NICHES[i % len(NICHES)],
                settings={"optimization_level": level, "priority": 1 + int(dice.uniform(0, 10))},
            )
        )

    project_rows = []
    for i in range(projects):
        project = GoogleProject.objects.create(name=f"sim-project-{i}", client_id=f"sim-project-{i}.apps.example")
        secret = f"secret-{project.client_id}"
        project_set_client_secret(project=project, client_secret=secret)
        fake.add_project(project.client_id, secret, uploads=project.upload_limit, units=project.units_limit)
        population.projects[str(project.pk)] = project.client_id
        project_rows.append(project)

    reserves = accounts // 5
    for i in range(accounts):
        reserve = i >= accounts - reserves
        email = f"pool{i:04d}@simulation.example"
        fake.add_channel(email, upload_cap=REAL_CAP)
        account = _connect(fake, staff=staff, email=email, project=project_rows[i % projects], reserve=reserve)
        population.accounts[str(account.pk)] = {
            "youtube_channel_id": account.channel_id,
            "project_id": str(account.project_id),
            "reserve": reserve,
            "cap": account.daily_upload_cap,
            "email": email,
        }

    # One channel per active account, spread over the owners; their limits add up to the target.
    active = accounts - reserves
    order = list(range(channels))
    chosen = []
    for i in order:
        if len(chosen) == active:
            break
        if made[i].user_id not in {made[j].user_id for j in chosen} or len(chosen) >= users:
            chosen.append(i)
    for rank, i in enumerate(chosen):
        channel = made[i]
        limit = max(1, videos_per_day // active + (1 if rank < videos_per_day % active else 0))
        Channel.objects.filter(pk=channel.pk).update(daily_video_limit=limit, failover_to_reserve=True)
        bound = channel_bind_free_pool_account(channel_id=channel.pk, actor="simulation seed")
        population.bound[str(bound.pk)] = str(bound.youtube_account_id)
        population.owed[str(bound.pk)] = limit
        population.levels[str(bound.pk)] = channel.settings["optimization_level"]

    if surprise_cap is not None and population.bound:
        channel_id = dice.choice(sorted(population.bound))
        youtube_channel_id = population.accounts[population.bound[channel_id]]["youtube_channel_id"]
        with fake.lock:
            fake.channels[youtube_channel_id].upload_cap = surprise_cap
        population.surprise = {
            "channel_id": channel_id,
            "youtube_channel_id": youtube_channel_id,
            "real_cap": surprise_cap,
        }
    return population
