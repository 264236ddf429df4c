import uuid

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection
from django.test import Client, RequestFactory

from annotations.models import Annotation, Reply
from classrooms.models import Classroom, Flag, Membership
from config import throttle
from tests.factories import make_annotation, make_article, make_user

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
LIMIT = 3
MESSAGES = {
    "annotate": "You are adding highlights faster than Gloss allows, so this one was not saved.",
    "reply": "You are posting replies faster than Gloss allows, so this one was not posted.",
    "flag": "You have flagged a lot in a short time, so this flag was not sent.",
    "join-failures": "Too many wrong join codes, so this one was not checked.",
    "signup": "Too many sign-ups from your network just now, so no account was created.",
    "sign-in-failures": "Too many failed sign-in attempts, so this one was not checked.",
}


def set_limit(settings, name: str, per: str) -> None:
    """LIMIT attempts per `per` ("user" or "address"); the other limit out of the way."""
    other = "address" if per == "user" else "user"
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        name: {per: (LIMIT, 600), other: (1000, 600)},
    }


@pytest.fixture
def scene():
    article = make_article(slug="the-article")
    author = make_user("author")
    # One target per attempt, so every allowed flag writes a row of its own.
    targets = [make_annotation(article, author, block=2, start=0, end=4) for _ in range(LIMIT + 2)]
    classroom = Classroom.objects.create(name="9B English")
    return {"article": article, "targets": targets, "classroom": classroom}


def annotate(client, scene, i, htmx=True, address="127.0.0.1"):
    text = scene["article"].blocks.get(position=2).text
    data = {
        "start_block": 2,
        "start_offset": 0,
        "end_block": 2,
        "end_offset": 10,
        "exact": text[:10],
        "label": "claim",
        "note": f"Note {i}",
        "submission_key": str(uuid.uuid4()),
    }
    return client.post(
        "/articles/the-article/annotations/",
        data,
        headers=HTMX if htmx else {},
        REMOTE_ADDR=address,
    )


def annotate_block(client, scene, i, htmx=True, address="127.0.0.1"):
    data = {
        "first_sentence": 1,
        "last_sentence": 1,
        "label": "evidence",
        "note": f"Note {i}",
        "submission_key": str(uuid.uuid4()),
    }
    return client.post(
        "/articles/the-article/p/3/annotate/",
        data,
        headers=HTMX if htmx else {},
        REMOTE_ADDR=address,
    )


def reply(client, scene, i, htmx=True, address="127.0.0.1"):
    data = {"body": f"Reply {i}", "stance": "agree", "submission_key": str(uuid.uuid4())}
    return client.post(
        f"/annotations/{scene['targets'][0].pk}/replies/",
        data,
        headers=HTMX if htmx else {},
        REMOTE_ADDR=address,
    )


def flag(client, scene, i, htmx=True, address="127.0.0.1"):
    return client.post(
        f"/annotations/{scene['targets'][i].pk}/flag/",
        {"reason": "Insulting"},
        headers=HTMX if htmx else {},
        REMOTE_ADDR=address,
    )


def join(client, scene, i, htmx=False, address="127.0.0.1", code="WRONG234"):
    return client.post(
        "/classes/join/", {"code": code}, headers=HTMX if htmx else {}, REMOTE_ADDR=address
    )


# name of the limit, the attempt, what an allowed attempt answers, what it wrote so far
ACTIONS = {
    "annotate": ("annotate", annotate, 200, lambda: Annotation.objects.exclude(note="").count()),
    "annotate_block": (
        "annotate",
        annotate_block,
        200,
        lambda: Annotation.objects.exclude(note="").count(),
    ),
    "reply": ("reply", reply, 200, lambda: Reply.objects.count()),
    "flag": ("flag", flag, 200, lambda: Flag.objects.count()),
}


@pytest.mark.parametrize("action", ACTIONS)
def test_it_refuses_one_user_over_the_limit_from_any_address(client, settings, scene, action):
    name, attempt, allowed, written = ACTIONS[action]
    set_limit(settings, name, per="user")
    client.force_login(make_user("reader"))
    for i in range(LIMIT):
        # A new address each time: the user is what is counted.
        assert attempt(client, scene, i, address=f"10.0.0.{i + 1}").status_code == allowed
    assert written() == LIMIT

    response = attempt(client, scene, LIMIT, address="10.0.0.99")
    assert response.status_code == 429
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith(MESSAGES[name])
    assert "Try again in 10 minutes." in response.content.decode()
    assert 590 <= int(response["Retry-After"]) <= 600
    assert written() == LIMIT


@pytest.mark.parametrize("action", ACTIONS)
def test_it_refuses_one_address_over_the_limit_whoever_signs_in(client, settings, scene, action):
    name, attempt, allowed, written = ACTIONS[action]
    set_limit(settings, name, per="address")
    for i in range(LIMIT):
        # A new user each time from one address: the address is what is counted.
        client.force_login(make_user())
        assert attempt(client, scene, i, address="192.0.2.7").status_code == allowed
    client.force_login(make_user())
    response = attempt(client, scene, LIMIT, address="192.0.2.7")
    assert response.status_code == 429
    assert MESSAGES[name] in response.content.decode()
    assert written() == LIMIT
    # Another address is not held back by this one.
    assert attempt(client, scene, LIMIT + 1, address="192.0.2.8").status_code == allowed
    assert written() == LIMIT + 1


@pytest.mark.parametrize("action", ["annotate", "annotate_block"])
def test_a_request_without_htmx_gets_a_full_page_with_the_message(client, settings, scene, action):
    name, attempt, _, written = ACTIONS[action]
    set_limit(settings, name, per="user")
    client.force_login(make_user("reader"))
    for i in range(LIMIT):
        attempt(client, scene, i, htmx=False)
    response = attempt(client, scene, LIMIT, htmx=False)
    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert '<h1 class="page-title">Nothing was saved</h1>' in html
    assert MESSAGES[name] in html
    assert "Signed in as" in html  # the site around it, not a bare error
    assert written() == LIMIT


def test_the_limit_holds_across_two_clients_because_it_lives_in_the_shared_cache(settings, scene):
    set_limit(settings, "reply", per="user")
    reader = make_user("reader")
    # Two browsers (or two gunicorn workers): nothing is kept in one process's memory.
    laptop, phone = Client(), Client()
    laptop.force_login(reader)
    phone.force_login(reader)
    assert reply(laptop, scene, 0).status_code == 200
    assert reply(phone, scene, 1).status_code == 200
    assert reply(laptop, scene, 2).status_code == 200
    assert reply(phone, scene, 3).status_code == 429
    assert Reply.objects.count() == LIMIT
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM gloss_cache WHERE cache_key LIKE %s", ["%throttle:reply-user%"]
        )
        assert cursor.fetchone()[0] == 1


def test_waiting_out_the_window_lets_the_user_in_again(client, settings, scene, monkeypatch):
    set_limit(settings, "reply", per="user")
    client.force_login(make_user("reader"))
    for i in range(LIMIT):
        reply(client, scene, i)
    assert reply(client, scene, LIMIT).status_code == 429
    later = throttle.time.time() + 601
    monkeypatch.setattr(throttle.time, "time", lambda: later)
    assert reply(client, scene, LIMIT + 1).status_code == 200
    assert Reply.objects.count() == LIMIT + 1


def test_refused_attempts_are_not_counted(client, settings, scene):
    set_limit(settings, "reply", per="user")
    client.force_login(make_user("reader"))
    for i in range(LIMIT + 5):
        reply(client, scene, i)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT cache_key FROM gloss_cache WHERE cache_key LIKE '%throttle:reply-user:%'"
        )
        (key,) = cursor.fetchone()
    # Hammering a closed door does not push the window's end further away.
    count, _ends = cache.get(key.split(":", 2)[-1])
    assert count == LIMIT


# Join codes: only wrong codes count, and a blocked guesser gets no answer at all.


def test_wrong_join_codes_are_limited_per_user_and_even_the_right_one_is_then_refused(
    client, settings, scene
):
    set_limit(settings, "join-failures", per="user")
    student = make_user("student")
    client.force_login(student)
    for i in range(LIMIT):
        response = join(client, scene, i, address=f"10.0.1.{i + 1}")
        assert response.status_code == 422
        assert "No class has that code." in response.content.decode()
    response = join(client, scene, LIMIT, code=scene["classroom"].join_code)
    assert response.status_code == 429
    html = response.content.decode()
    assert MESSAGES["join-failures"] in html
    assert "Check the code with your teacher." in html
    assert not Membership.objects.filter(user=student).exists()


def test_wrong_join_codes_are_limited_per_address(client, settings, scene):
    set_limit(settings, "join-failures", per="address")
    for i in range(LIMIT):
        client.force_login(make_user())
        assert join(client, scene, i, address="192.0.2.7").status_code == 422
    latecomer = make_user("latecomer")
    client.force_login(latecomer)
    response = join(client, scene, LIMIT, address="192.0.2.7", code=scene["classroom"].join_code)
    assert response.status_code == 429
    assert not Membership.objects.filter(user=latecomer).exists()
    response = join(client, scene, LIMIT, address="192.0.2.8", code=scene["classroom"].join_code)
    assert response.status_code == 302
    assert Membership.objects.filter(user=latecomer).exists()


def test_right_join_codes_do_not_count(client, settings, scene):
    set_limit(settings, "join-failures", per="user")
    client.force_login(make_user("student"))
    for i in range(LIMIT + 2):
        response = join(client, scene, i, code=scene["classroom"].join_code)
        assert response.status_code == 302


def test_an_htmx_join_over_the_limit_answers_in_plain_text(client, settings, scene):
    set_limit(settings, "join-failures", per="user")
    client.force_login(make_user("student"))
    for i in range(LIMIT):
        join(client, scene, i)
    response = join(client, scene, LIMIT, htmx=True)
    assert response.status_code == 429
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith(MESSAGES["join-failures"])


# Sign-up: nobody is signed in yet, so only the address counts.


def signup(client, i, address="192.0.2.7"):
    return client.post(
        "/accounts/signup/",
        {
            "username": f"newcomer{i}",
            "password1": "correct horse battery",
            "password2": "correct horse battery",
        },
        REMOTE_ADDR=address,
    )


def test_it_limits_sign_ups_per_address(settings):
    set_limit(settings, "signup", per="address")
    for i in range(LIMIT):
        # A fresh browser each time: signing up signs you in.
        assert signup(Client(), i).status_code == 302
    response = signup(Client(), LIMIT)
    assert response.status_code == 429
    assert MESSAGES["signup"] in response.content.decode()
    assert not User.objects.filter(username=f"newcomer{LIMIT}").exists()
    assert signup(Client(), LIMIT, address="192.0.2.8").status_code == 302


# Sign-in: only failures count, per username typed ("account") and per address.

PASSWORD = "a-long-test-password"


def sign_in(client, username, password, address="192.0.2.7", htmx=False):
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        headers=HTMX if htmx else {},
        REMOTE_ADDR=address,
    )


def set_sign_in_limit(settings, per: str) -> None:
    other = "address" if per == "account" else "account"
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "sign-in-failures": {per: (LIMIT, 600), other: (1000, 600)},
    }


def test_failed_sign_ins_are_limited_per_username_from_any_address(settings):
    set_sign_in_limit(settings, per="account")
    make_user("ana", password=PASSWORD)
    for i in range(LIMIT):
        response = sign_in(Client(), "ana", "wrong", address=f"10.0.2.{i + 1}")
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()
    # Even the right password, spelt otherwise, from elsewhere: not checked.
    client = Client()
    response = sign_in(client, " ANA ", PASSWORD, address="10.0.2.99")
    assert response.status_code == 429
    html = response.content.decode()
    assert MESSAGES["sign-in-failures"] in html
    assert "ask your teacher to reset it. Try again in 10 minutes." in html
    assert 590 <= int(response["Retry-After"]) <= 600
    assert not client.session.get("_auth_user_id")
    # Another account is not held back by this one.
    make_user("ben", password=PASSWORD)
    assert sign_in(Client(), "ben", PASSWORD, address="10.0.2.99").status_code == 302


def test_failed_sign_ins_are_limited_per_address_whatever_the_username(settings):
    set_sign_in_limit(settings, per="address")
    make_user("real", password=PASSWORD)
    for i in range(LIMIT):
        assert sign_in(Client(), f"guess{i}", "wrong").status_code == 200
    assert sign_in(Client(), "real", PASSWORD).status_code == 429
    assert sign_in(Client(), "real", PASSWORD, address="192.0.2.8").status_code == 302


def test_a_successful_sign_in_starts_the_username_count_afresh_but_not_the_address(settings):
    set_sign_in_limit(settings, per="account")
    make_user("ana", password=PASSWORD)
    for _ in range(LIMIT - 1):
        sign_in(Client(), "ana", "wrong")
    assert sign_in(Client(), "ana", PASSWORD).status_code == 302
    for _ in range(LIMIT - 1):
        assert sign_in(Client(), "ana", "wrong").status_code == 200
    assert sign_in(Client(), "ana", PASSWORD).status_code == 302

    set_sign_in_limit(settings, per="address")
    cache.clear()
    for i in range(LIMIT):
        sign_in(Client(), f"guess{i}", "wrong")
    # One's own account does not wipe the slate for a guessing address.
    assert sign_in(Client(), "ana", PASSWORD).status_code == 429


def test_successful_sign_ins_do_not_count(settings):
    set_sign_in_limit(settings, per="address")
    make_user("ana", password=PASSWORD)
    for _ in range(LIMIT + 2):
        assert sign_in(Client(), "ana", PASSWORD).status_code == 302


def test_an_htmx_sign_in_over_the_limit_answers_in_plain_text(settings):
    set_sign_in_limit(settings, per="account")
    for _ in range(LIMIT):
        sign_in(Client(), "ana", "wrong")
    response = sign_in(Client(), "ana", "wrong", htmx=True)
    assert response.status_code == 429
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith(MESSAGES["sign-in-failures"])
    assert response["Retry-After"]


# Which address counts.


def address_of(settings, trusts_proxy=False, **meta):
    settings.THROTTLE_TRUSTS_PROXY = trusts_proxy
    return throttle.client_address(RequestFactory().get("/", **meta))


def test_an_ipv6_network_counts_as_one_address(settings):
    one = address_of(settings, REMOTE_ADDR="2001:db8:1:2::10")
    other = address_of(settings, REMOTE_ADDR="2001:db8:1:2:ffff::1")
    assert one == other == "2001:db8:1:2::/64"
    assert address_of(settings, REMOTE_ADDR="2001:db8:1:3::10") != one
    assert address_of(settings, REMOTE_ADDR="::ffff:192.0.2.7") == "192.0.2.7"


def test_a_forwarded_address_counts_only_behind_our_proxy(settings):
    meta = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 192.0.2.7"}
    assert address_of(settings, **meta) == "10.0.0.1"
    # The proxy appends what it saw; the left part is whatever the client claimed.
    assert address_of(settings, trusts_proxy=True, **meta) == "192.0.2.7"


def test_the_default_limits_leave_a_class_behind_one_school_address_room():
    # 30 students share one address. Per address must hold all of them at a pace no lesson
    # reaches (a highlight every 30 s and a reply a minute, each, for the whole window);
    # per user must be far above one person's pace; sign-ups and typos of a first lesson fit.
    limits = throttle.settings.RATE_LIMITS
    annotate_per_user, window = limits["annotate"]["user"]
    annotate_per_address, address_window = limits["annotate"]["address"]
    assert window == address_window == 600
    assert annotate_per_address >= 30 * window // 30
    assert annotate_per_user >= window // 10
    reply_per_user, window = limits["reply"]["user"]
    reply_per_address, address_window = limits["reply"]["address"]
    assert window == address_window == 600
    assert reply_per_address >= 30 * window // 60
    assert reply_per_user >= window // 20
    assert limits["signup"]["address"][0] >= 60
    assert limits["join-failures"]["address"][0] >= 60
    # Sign-in: a few typos per account, a class's worth per address, a quarter of an hour.
    assert limits["sign-in-failures"] == {"account": (5, 900), "address": (20, 900)}
