import pytest
from django.contrib.auth.models import User

from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_it_signs_up_and_signs_in_a_new_reader(client):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "newreader",
            "display_name": "New Reader",
            "password1": "correct horse battery",
            "password2": "correct horse battery",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="newreader")
    assert user.first_name == "New Reader"
    assert "Signed in as" in client.get("/").content.decode()
    assert "New Reader" in client.get("/").content.decode()


def test_it_refuses_a_weak_password_with_a_visible_message(client):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "weak",
            "password1": "12345678",
            "password2": "12345678",
        },
    )
    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    assert not User.objects.filter(username="weak").exists()


def test_it_logs_in_and_out(client):
    make_user("ana", password="a-long-test-password")
    response = client.post(
        "/accounts/login/", {"username": "ana", "password": "a-long-test-password"}
    )
    assert response.status_code == 302
    assert client.session.get("_auth_user_id")
    assert client.get("/accounts/logout/").status_code == 405  # logging out takes a POST
    client.post("/accounts/logout/")
    assert not client.session.get("_auth_user_id")


def test_it_throttles_repeated_failed_logins_for_a_username(client):
    make_user("ana", password="a-long-test-password")
    for _ in range(5):
        response = client.post("/accounts/login/", {"username": "ana", "password": "wrong"})
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()
    # Even the right password is refused now, with a message the person can act on.
    response = client.post(
        "/accounts/login/", {"username": "ANA", "password": "a-long-test-password"}
    )
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "Try again in 15 minutes." in response.content.decode()
    assert 890 <= int(response["Retry-After"]) <= 900
    assert not client.session.get("_auth_user_id")


def test_it_throttles_one_address_trying_many_usernames(client):
    for i in range(20):
        client.post("/accounts/login/", {"username": f"guess{i}", "password": "wrong"})
    make_user("real", password="a-long-test-password")
    response = client.post(
        "/accounts/login/", {"username": "real", "password": "a-long-test-password"}
    )
    assert response.status_code == 429


def test_the_throttle_lives_in_the_shared_database_cache(client):
    from django.conf import settings
    from django.db import connection

    assert settings.CACHES["default"]["BACKEND"].endswith("DatabaseCache")
    client.post("/accounts/login/", {"username": "ana", "password": "wrong"})
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM gloss_cache WHERE cache_key LIKE %s",
            ["%throttle:sign-in-failures-account%"],
        )
        assert cursor.fetchone()[0] == 1


def test_it_never_redirects_to_another_site_after_login(client):
    make_user("ana", password="a-long-test-password")
    response = client.post(
        "/accounts/login/?next=https://evil.example/",
        {"username": "ana", "password": "a-long-test-password", "next": "https://evil.example/"},
    )
    assert response["Location"] == "/"
