"""The stats sync's reads never take a Google project past the soft limit nor into its uploads' room
(youtube_pool.services.api.quota_reserve_read), proven with concurrent readers on PostgreSQL."""

import pytest

from youtube_pool.exceptions import QuotaExhaustedError
from youtube_pool.models import GoogleProject
from youtube_pool.services.api import quota_read_room, quota_reserve_read
from youtube_pool.tests.factories import GoogleProjectFactory, YouTubeAccountFactory
from ytempire.core.testing import race


@pytest.mark.django_db
def test_the_line_is_the_soft_limit_less_the_uploads_follow_up_units(settings):
    settings.YOUTUBE_UNITS_SOFT_LIMIT_PERCENT = 80
    project = GoogleProjectFactory(units_limit=10_000, upload_limit=100, uploads_used=90, units_used=7_499)
    account = YouTubeAccountFactory(project=project)

    # 8,000 - 10 uploads left x 50 units (their thumbnails) = 7,500
    assert quota_read_room(project) == 1
    quota_reserve_read(project=project, method="videos.list", account=account)
    with pytest.raises(QuotaExhaustedError) as refused:
        quota_reserve_read(project=project, method="channels.list", account=account)

    assert refused.value.bucket == "units"
    project.refresh_from_db()
    account.refresh_from_db()
    assert (project.units_used, account.quota_used_today) == (7_500, 1)
    assert quota_read_room(project) == 0


@pytest.mark.django_db
def test_reads_are_only_paid_from_units_and_never_on_an_inactive_project():
    project = GoogleProjectFactory(is_active=False)

    with pytest.raises(QuotaExhaustedError):
        quota_reserve_read(project=project, method="channels.list")
    with pytest.raises(ValueError, match="not a read"):
        quota_reserve_read(project=project, method="videos.insert")
    assert quota_read_room(project) == 0 and quota_read_room(None) == 0


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_readers_never_pass_the_line():
    project = GoogleProjectFactory(units_limit=10_000, upload_limit=100, uploads_used=100, units_used=7_990)

    def read():
        try:
            quota_reserve_read(project=project, method="videos.list")
        except QuotaExhaustedError:
            return False
        return True

    results = race(read, 30, db_slots=10)

    assert results.count(True) == 10 and results.count(False) == 20
    assert GoogleProject.objects.get(pk=project.pk).units_used == 8_000
