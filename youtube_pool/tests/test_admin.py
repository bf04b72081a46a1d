import urllib.parse

import pytest
from django.urls import reverse

from youtube_pool.models import GoogleProject, YouTubeAccount

from .conftest import connect_account, make_project
from .factories import GoogleProjectFactory, YouTubeAccountFactory

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:youtube_pool_youtubeaccount_changelist"


@pytest.fixture
def admin_web(client, staff_user):
    client.force_login(staff_user)
    return client


def act(client, action, accounts):
    return client.post(
        reverse(CHANGELIST), {"action": action, "_selected_action": [str(a.pk) for a in accounts]}, follow=False
    )


def test_changelists_render_without_secrets_and_with_bounded_queries(admin_web, django_assert_max_num_queries):
    project = GoogleProjectFactory()
    YouTubeAccountFactory.create_batch(5, project=project)
    with django_assert_max_num_queries(12):
        response = admin_web.get(reverse(CHANGELIST))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Connect YouTube account" in page
    account = YouTubeAccount.objects.first()
    assert account.credentials_encrypted not in page
    detail = admin_web.get(reverse("admin:youtube_pool_youtubeaccount_change", args=[account.pk])).content.decode()
    assert account.credentials_encrypted not in detail
    projects = admin_web.get(reverse("admin:youtube_pool_googleproject_changelist")).content.decode()
    assert project.client_secret_encrypted not in projects
    project_page = admin_web.get(reverse("admin:youtube_pool_googleproject_change", args=[project.pk]))
    assert project.client_secret_encrypted not in project_page.content.decode()


def test_project_secret_is_write_only_and_stored_encrypted(admin_web):
    from youtube_pool.services.credentials import project_client_secret

    response = admin_web.post(
        reverse("admin:youtube_pool_googleproject_add"),
        {
            "name": "gamma",
            "client_id": "gamma.apps.googleusercontent.com",
            "client_secret": "gamma-secret",
            "upload_limit": 100,
            "search_limit": 100,
            "units_limit": 10000,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    project = GoogleProject.objects.get(name="gamma")
    assert "gamma-secret" not in project.client_secret_encrypted
    assert project_client_secret(project) == "gamma-secret"


def test_actions_reset_deactivate_reactivate(admin_web):
    account = YouTubeAccountFactory(uploads_today=4, quota_used_today=300)
    act(admin_web, "reset_quota", [account])
    account.refresh_from_db()
    assert (account.uploads_today, account.quota_used_today) == (0, 0)

    act(admin_web, "deactivate", [account])
    account.refresh_from_db()
    assert not account.is_active and "deactivated by" in account.deactivated_reason

    act(admin_web, "reactivate", [account])
    account.refresh_from_db()
    assert account.is_active and account.deactivated_reason == ""

    YouTubeAccount.objects.filter(pk=account.pk).update(is_active=False, needs_reauth=True)
    response = act(admin_web, "reactivate", [account])
    assert response.status_code == 302
    account.refresh_from_db()
    assert not account.is_active  # needs a reconnect, reported via message_user


def test_health_check_and_reconnect_actions(admin_web, fake_youtube):
    project = make_project(fake_youtube, "alpha")
    account = connect_account(fake_youtube, project, "a1@example.com", health_score=80)

    act(admin_web, "run_health_check", [account])
    account.refresh_from_db()
    assert account.health_score == 81 and account.last_health_check_at is not None

    response = act(admin_web, "reconnect", [account])
    assert response.status_code == 302
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(response["Location"]).query))
    assert response["Location"].startswith(fake_youtube.auth_uri)
    assert query["login_hint"] == "a1@example.com"


def test_connect_button_starts_the_flow(admin_web, fake_youtube):
    project = make_project(fake_youtube, "alpha")
    url = reverse("admin:youtube_pool_youtubeaccount_connect")
    assert admin_web.get(url).status_code == 200
    response = admin_web.post(url, {"email": "fresh@example.com", "project": str(project.pk)})
    assert response.status_code == 302
    assert response["Location"].startswith(fake_youtube.auth_uri)
