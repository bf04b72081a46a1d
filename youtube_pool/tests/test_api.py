import pytest

from .factories import GoogleProjectFactory, YouTubeAccountFactory

pytestmark = pytest.mark.django_db
CAPACITY = "/api/v1/youtube/capacity"


@pytest.fixture
def staff_client(client_for, staff_user):
    return client_for(staff_user)


def test_capacity_reports_buckets_accounts_and_what_is_still_possible(staff_client):
    alpha = GoogleProjectFactory(name="alpha", upload_limit=100, uploads_used=97, units_used=120)
    beta = GoogleProjectFactory(name="beta", upload_limit=100, uploads_used=0)
    YouTubeAccountFactory(project=alpha, email="a1@example.com", uploads_today=1)  # 4 left, project 3 left
    YouTubeAccountFactory(project=alpha, email="a2@example.com", is_active=False, needs_reauth=True)
    YouTubeAccountFactory(project=beta, email="b1@example.com", uploads_today=5)  # capped
    YouTubeAccountFactory(project=beta, email="b2@example.com", is_reserve=True)  # 2 left

    response = staff_client.get(CAPACITY)

    assert response.status_code == 200
    body = response.json()
    assert body["uploads_possible_today"] == 3 + 2
    assert body["next_reset_at"]
    projects = {p["name"]: p for p in body["projects"]}
    assert projects["alpha"]["buckets"]["uploads"] == {"used": 97, "limit": 100, "left": 3}
    assert projects["alpha"]["buckets"]["units"] == {"used": 120, "limit": 10000, "left": 9880}
    assert (projects["alpha"]["uploads_possible"], projects["beta"]["uploads_possible"]) == (3, 2)
    accounts = {a["email"]: a for a in body["accounts"]}
    assert accounts["a2@example.com"]["state"] == "needs_reauth"
    assert accounts["b2@example.com"]["state"] == "reserve"
    assert accounts["b1@example.com"]["uploads_left"] == 0
    assert "credentials_encrypted" not in response.content.decode()


def test_capacity_query_count_does_not_grow_with_accounts(staff_client, django_assert_num_queries):
    project = GoogleProjectFactory()
    YouTubeAccountFactory.create_batch(3, project=project)
    with django_assert_num_queries(3):  # the user, projects, accounts
        assert staff_client.get(CAPACITY).status_code == 200
    YouTubeAccountFactory.create_batch(12, project=GoogleProjectFactory())
    with django_assert_num_queries(3):
        assert staff_client.get(CAPACITY).status_code == 200


def test_capacity_is_staff_only(api_client, auth_client, admin_client_api):
    assert api_client.get(CAPACITY).status_code == 401
    assert auth_client.get(CAPACITY).status_code == 403
    assert admin_client_api.get(CAPACITY).status_code == 403  # role admin without staff


def test_endpoints_are_in_the_openapi_schema(staff_client):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path in ("/api/v1/youtube/capacity", "/api/v1/youtube/oauth/authorize", "/api/v1/youtube/oauth/callback"):
        assert any(p.rstrip("/") == path for p in schema["paths"]), path
