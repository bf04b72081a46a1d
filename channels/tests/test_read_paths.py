"""The list and detail answer with plain dicts (channels.serializers.channel_list_items,
channel_detail): the same bytes as the ModelSerializers that document them, rendered by DRF."""

import pytest
from rest_framework.renderers import JSONRenderer

from channels.models import Channel
from channels.serializers import ChannelListOutputSerializer, ChannelOutputSerializer
from channels.tests.factories import ChannelFactory, bound_channel

pytestmark = pytest.mark.django_db

URL = "/api/v1/channels"


def _drf(data) -> bytes:
    return JSONRenderer().render(data)


@pytest.fixture
def channels(user):
    return [
        ChannelFactory(user=user, name="Plain"),
        ChannelFactory(
            user=user,
            name="Rich ünïcode \u2028",
            description="line\nbreak",
            total_revenue_cents=12345,
            total_views=10**12,
            settings={"voice": "calm", "nested": {"a": [1, 2.5, None]}},
            metadata={"k": "v"},
            upload_time_utc="14:30",
            automation_enabled=False,
        ),
        bound_channel(user=user, name="Bound"),
    ]


def test_list_bytes_are_the_model_serializers(auth_client, channels):
    response = auth_client.get(f"{URL}?limit=100")

    rows = list(Channel.objects.filter(user=channels[0].user).order_by("-created_at", "-id"))
    expected = {
        "items": ChannelListOutputSerializer(rows, many=True).data,
        "total": 3,
        "page": 1,
        "pages": 1,
        "limit": 100,
    }
    assert response.content == _drf(expected)


def test_detail_bytes_are_the_model_serializers(auth_client, channels):
    for channel in channels:
        response = auth_client.get(f"{URL}/{channel.pk}")

        channel.refresh_from_db()
        assert response.content == _drf(ChannelOutputSerializer(channel).data)


def test_a_full_page_counts_and_a_later_page_is_exact(auth_client, user, django_assert_num_queries):
    ChannelFactory.create_batch(5, user=user)

    with django_assert_num_queries(3):  # auth user + page + count (the page is full)
        first = auth_client.get(f"{URL}?limit=2").json()
    # The user is in the identity cache from here on.
    with django_assert_num_queries(1):  # page (the last, short: it tells the total)
        last = auth_client.get(f"{URL}?limit=2&page=3").json()
    with django_assert_num_queries(2):  # page (empty) + count
        past = auth_client.get(f"{URL}?limit=2&page=4").json()

    assert (first["total"], first["pages"], len(first["items"])) == (5, 3, 2)
    assert (last["total"], last["pages"], len(last["items"])) == (5, 3, 1)
    assert past == {"items": [], "total": 5, "page": 4, "pages": 3, "limit": 2}


def test_filters_still_apply_and_refuse(auth_client, channels):
    assert [i["name"] for i in auth_client.get(f"{URL}?automation_enabled=false").json()["items"]] == [
        "Rich ünïcode \u2028"
    ]
    assert auth_client.get(f"{URL}?stauts=active").status_code == 400
    assert auth_client.get(f"{URL}?status=").status_code == 400
