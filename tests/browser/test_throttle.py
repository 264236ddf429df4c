import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from annotations.models import Annotation, Reply
from tests.browser.conftest import drag_select
from tests.factories import make_annotation, make_article, make_user

REPLY_MESSAGE = "You are posting replies faster than Gloss allows, so this one was not posted."
ANNOTATE_MESSAGE = "You are adding highlights faster than Gloss allows, so this one was not saved."


@pytest.fixture
def claim(db):
    article = make_article(
        "The deal",
        slug="the-deal",
        blocks=[
            ("paragraph", "The Kremlin’s offer is simple — and, some say, a trap for the West."),
            ("paragraph", "Sanctions cost Russia growth in 2023. Exports fell by a third."),
        ],
    )
    return make_annotation(article, make_user("claimant"), block=1, start=4, end=19)


@pytest.fixture
def counters(live_server):
    """Throttle counters from other live-server tests survive their flush: start from none."""
    cache.clear()
    yield
    cache.clear()


def test_a_reader_past_the_reply_limit_is_told_so_on_screen(
    live_server, page, claim, sign_in, settings, counters
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "reply": {"user": (2, 600)}}
    sign_in(make_user("reader", first_name="Rea"))
    page.goto(live_server.url + claim.article.get_absolute_url())
    card = page.locator(f"#annotation-{claim.pk}")
    card.get_by_role("link", name=re.compile("^Discuss")).click()
    thread = card.get_by_role("region", name="Discussion")

    for text in ["First thought.", "Second thought."]:
        thread.get_by_role("textbox", name="Reply", exact=True).last.fill(text)
        thread.get_by_role("button", name="Post reply").last.click()
        expect(thread).to_contain_text(text)

    box = thread.get_by_role("textbox", name="Reply", exact=True).last
    box.fill("One too many.")
    thread.get_by_role("button", name="Post reply").last.click()
    flash = page.locator("[data-flash]")
    expect(flash).to_contain_text(REPLY_MESSAGE)
    expect(flash).to_contain_text("Try again in 10 minutes.")
    expect(box).to_have_value("One too many.")  # the draft is kept for later
    expect(thread.locator(".reply")).to_have_count(2)
    assert list(Reply.objects.values_list("body", flat=True).order_by("pk")) == [
        "First thought.",
        "Second thought.",
    ]


def test_the_selection_toolbar_shows_the_limit_where_the_reader_is_looking(
    live_server, page, claim, sign_in, settings, counters
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "annotate": {"user": (1, 600)}}
    sign_in(make_user("reader", first_name="Rea"))
    page.goto(live_server.url + claim.article.get_absolute_url())
    toolbar = page.get_by_role("form", name="Label the selected passage")

    drag_select(page, 2, "Sanctions cost")
    toolbar.get_by_role("button", name="Claim", exact=True).click()
    expect(page.locator(".card")).to_have_count(2)

    drag_select(page, 2, "Exports fell")
    expect(toolbar).to_be_visible()
    toolbar.get_by_role("button", name="Evidence", exact=True).click()
    expect(toolbar.get_by_role("alert")).to_contain_text(ANNOTATE_MESSAGE)
    expect(toolbar).to_be_visible()
    expect(page.locator(".card")).to_have_count(2)
    assert Annotation.objects.filter(author__username="reader").count() == 1


def test_a_reader_past_the_sign_in_limit_is_told_so_on_screen(
    live_server, page, settings, counters
):
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "sign-in-failures": {"account": (2, 900), "address": (100, 900)},
    }
    make_user("ana", password="a-long-test-password")
    page.goto(live_server.url + "/accounts/login/")
    for password in ["wrong", "still-wrong"]:
        page.get_by_label("Username").fill("ana")
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("alert")).to_contain_text("Please enter a correct username")

    page.get_by_label("Username").fill("ana")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Log in").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Too many failed sign-in attempts")
    expect(alert).to_contain_text("Try again in 15 minutes.")
    expect(page.get_by_text("Signed in as")).to_have_count(0)
