import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from youtube_pool import crypto
from youtube_pool.exceptions import CredentialsEncryptionError
from youtube_pool.models import YouTubeAccount
from youtube_pool.services.credentials import account_credentials, project_client_secret

from .factories import GoogleProjectFactory, YouTubeAccountFactory

SECRET_TOKEN = "ya29.super-secret-access-token"
SECRET_REFRESH = "1//super-secret-refresh-token"


def make_secret_account():
    project = GoogleProjectFactory(client_secret_encrypted=crypto.encrypt_text("client-secret-value"))
    return YouTubeAccountFactory(
        project=project,
        credentials_encrypted=crypto.encrypt_json({"token": SECRET_TOKEN, "refresh_token": SECRET_REFRESH}),
    )


@pytest.mark.django_db
def test_secrets_are_not_readable_in_the_database(settings):
    settings.CREDENTIALS_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    account = make_secret_account()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM youtube_accounts")
        accounts_dump = repr(cursor.fetchall())
        cursor.execute("SELECT * FROM google_projects")
        projects_dump = repr(cursor.fetchall())
    for secret in (SECRET_TOKEN, SECRET_REFRESH, "super-secret"):
        assert secret not in accounts_dump
    assert "client-secret-value" not in projects_dump
    credentials = account_credentials(YouTubeAccount.objects.select_related("project").get(pk=account.pk))
    assert (credentials.token, credentials.refresh_token) == (SECRET_TOKEN, SECRET_REFRESH)
    assert credentials.client_secret == "client-secret-value"


@pytest.mark.django_db
def test_rotate_credentials_key_reencrypts_every_row(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CREDENTIALS_ENCRYPTION_KEYS = [old]
    account = make_secret_account()

    settings.CREDENTIALS_ENCRYPTION_KEYS = [new, old]
    out = io.StringIO()
    call_command("rotate_credentials_key", stdout=out)
    assert "Re-encrypted 1 project secret(s) and 1 account(s)" in out.getvalue()

    settings.CREDENTIALS_ENCRYPTION_KEYS = [new]  # the old key can now go
    account = YouTubeAccount.objects.select_related("project").get(pk=account.pk)
    assert account_credentials(account).refresh_token == SECRET_REFRESH
    assert project_client_secret(account.project) == "client-secret-value"
    settings.CREDENTIALS_ENCRYPTION_KEYS = [old]
    with pytest.raises(CredentialsEncryptionError):
        account_credentials(account)


def test_production_without_keys_refuses_clearly(settings):
    settings.CREDENTIALS_ENCRYPTION_KEYS = []
    settings.DEBUG = False
    settings.CREDENTIALS_ALLOW_DEV_KEY = False
    with pytest.raises(CredentialsEncryptionError, match="CREDENTIALS_ENCRYPTION_KEYS is empty"):
        crypto.encrypt_text("x")
    with pytest.raises(CredentialsEncryptionError):
        crypto.decrypt_text("gAAAA-anything")


def test_development_key_is_derived_from_the_secret_key(settings, caplog):
    settings.CREDENTIALS_ENCRYPTION_KEYS = []
    settings.CREDENTIALS_ALLOW_DEV_KEY = True
    token = crypto.encrypt_text("hello")
    assert Fernet(crypto.development_key()).decrypt(token.encode()) == b"hello"


def test_invalid_key_is_reported_without_echoing_it(settings):
    settings.CREDENTIALS_ENCRYPTION_KEYS = ["not-a-fernet-key-value"]
    with pytest.raises(CredentialsEncryptionError) as info:
        crypto.encrypt_text("x")
    assert "not-a-fernet-key-value" not in info.value.message
