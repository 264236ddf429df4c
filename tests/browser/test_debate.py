import re

import pytest
from playwright.sync_api import expect

from annotations.models import Reply
from tests.factories import make_annotation, make_article, make_user


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
    return make_annotation(
        article, make_user("claimant", first_name="Cla"), block=1, start=4, end=19
    )


def open_thread(page, claim):
    card = page.locator(f"#annotation-{claim.pk}")
    card.get_by_role("link", name=re.compile("^Discuss")).click()
    expect(card.get_by_role("region", name="Discussion")).to_be_visible()
    return card


def test_readers_reply_reply_to_replies_and_see_stances_at_once(live_server, page, claim, sign_in):
    sign_in(make_user("reader", first_name="Rea"))
    page.goto(live_server.url + claim.article.get_absolute_url())
    card = open_thread(page, claim)
    thread = card.get_by_role("region", name="Discussion")
    thread.get_by_role("textbox", name="Reply", exact=True).last.fill("Is it *really* a trap?")
    thread.get_by_role("radio", name="Question").last.check()
    thread.get_by_role("button", name="Post reply").last.click()
    expect(thread.locator(".reply")).to_have_count(1)
    expect(card.locator(".card__debate .stances")).to_have_text("1 question")
    expect(thread.locator(".reply em")).to_have_text("really")

    thread.locator(".reply summary").first.click()
    answer_box = thread.locator(".reply__respond").first.get_by_role("textbox", name="Reply")
    answer_box.fill("Yes: read ¶2.")
    thread.locator(".reply__respond").first.get_by_role("radio", name="Agree", exact=True).check()
    thread.locator(".reply__respond").first.get_by_role("button", name="Post reply").click()
    expect(thread.locator(".reply")).to_have_count(2)
    expect(thread.locator(".reply--depth-1")).to_contain_text("Yes: read ¶2.")
    expect(card.locator(".card__debate .stances")).to_have_text("1 agree · 1 question")
    # The top-level box is empty again after posting.
    expect(thread.get_by_role("textbox", name="Reply", exact=True).last).to_have_value("")

    question = Reply.objects.get(stance="question")
    assert question.body == "Is it *really* a trap?"
    assert Reply.objects.get(stance="agree").parent == question


def test_another_readers_reply_arrives_live_without_losing_my_draft(
    live_server, page, claim, browser, sign_in
):
    sign_in(make_user("first", first_name="Fir"))
    page.goto(live_server.url + claim.article.get_absolute_url())
    thread = open_thread(page, claim).get_by_role("region", name="Discussion")
    draft = thread.get_by_role("textbox", name="Reply", exact=True).last
    draft.fill("I was about to say")
    page.evaluate("window.__sameDocument = true")

    other_context = browser.new_context()
    sign_in(make_user("second", first_name="Sec"), other_context)
    other = other_context.new_page()
    other.goto(live_server.url + claim.article.get_absolute_url())
    other_thread = open_thread(other, claim).get_by_role("region", name="Discussion")
    other_thread.get_by_role("textbox", name="Reply", exact=True).last.fill("I disagree!")
    other_thread.get_by_role("radio", name="Disagree").last.check()
    other_thread.get_by_role("button", name="Post reply").last.click()
    expect(other_thread.locator(".reply")).to_have_count(1)
    other_context.close()

    # Within the polling window, without a reload, the first reader sees it…
    expect(page.locator(f"#annotation-{claim.pk} .reply")).to_contain_text(
        "I disagree!", timeout=9000
    )
    expect(page.locator(f"#annotation-{claim.pk} .stances")).to_have_text("1 disagree")
    # …and the words they were typing are still there.
    expect(
        page.locator(f"#annotation-{claim.pk}")
        .get_by_role("textbox", name="Reply", exact=True)
        .last
    ).to_have_value("I was about to say")
    assert page.evaluate("window.__sameDocument === true")


def test_a_new_highlight_by_someone_else_appears_live(live_server, page, claim, sign_in):
    sign_in(make_user("watcher"))
    page.goto(live_server.url + claim.article.get_absolute_url())
    expect(page.locator(".card")).to_have_count(1)
    make_annotation(claim.article, make_user("writer"), block=2, start=0, end=9, label="evidence")
    claim.article.touch()
    expect(page.locator(".card")).to_have_count(2, timeout=9000)
    expect(page.locator('[data-block="2"] mark')).to_have_text("Sanctions")


def test_a_live_update_waits_while_i_edit_my_highlight(live_server, page, claim, sign_in):
    sign_in(claim.author)
    page.goto(live_server.url + claim.article.get_absolute_url())
    card = page.locator(f"#annotation-{claim.pk}")
    card.get_by_role("link", name=re.compile("^Edit")).click()
    note = page.get_by_role("form", name="Edit your highlight").get_by_label("Note")
    note.fill("Half-written thought")
    make_annotation(claim.article, make_user("writer"), block=2, start=0, end=9, label="evidence")
    claim.article.touch()
    page.wait_for_timeout(7000)  # a poll came and found me busy
    expect(note).to_have_value("Half-written thought")
    page.get_by_role("form", name="Edit your highlight").get_by_role("button", name="Save").click()
    expect(page.locator(f"#annotation-{claim.pk}")).to_contain_text("Half-written thought")
    # Once I am done, the held-back update arrives.
    expect(page.locator(".card")).to_have_count(2, timeout=9000)
