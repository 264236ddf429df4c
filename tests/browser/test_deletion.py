import re

import pytest
from playwright.sync_api import expect

from annotations.models import Annotation, Reply
from tests.browser.conftest import drag_select
from tests.factories import make_article, make_user

P2 = "The Kremlin’s offer is simple — and, some say, a trap for the West."
P3 = "Sanctions cost Russia 𝒳 growth in 2023. Exports fell by a third. Oil held up."
NOTE = "Nightjar-4410: my own reading"


@pytest.fixture
def article(db):
    return make_article(
        "The deal",
        slug="the-deal",
        blocks=[("heading", "Putin’s position"), ("paragraph", P2), ("paragraph", P3)],
    )


def test_the_author_deletes_a_highlight_with_a_reply_and_the_thread_stays(
    live_server, page, article, sign_in, csp_violations
):
    author = make_user("author", first_name="Aut Hor")
    sign_in(author)
    page.goto(live_server.url + article.get_absolute_url())
    drag_select(page, 3, "Exports fell by a third.")
    toolbar = page.get_by_role("form", name="Label the selected passage")
    toolbar.get_by_role("button", name="Add note").click()
    toolbar.get_by_label("Note").fill(NOTE)
    toolbar.get_by_role("button", name="Claim", exact=True).click()
    expect(page.locator(".card")).to_contain_text(NOTE)
    claim = Annotation.objects.get()

    # Someone answers while the author reads; the page picks it up live.
    claim.reply(
        make_user("critic", first_name="Cri Tic"), "Only **exports**, not imports.", "disagree"
    )
    card = page.locator(f"#annotation-{claim.pk}")
    expect(card.locator(".count-pill").first).to_have_text("1", timeout=15_000)
    card.get_by_role("link", name=re.compile("^Discuss")).click()
    expect(card.get_by_role("region", name="Discussion")).to_contain_text("not imports")

    messages = []
    page.once("dialog", lambda dialog: (messages.append(dialog.message), dialog.accept()))
    card.get_by_role("link", name=re.compile("^Delete")).click()

    expect(card.get_by_role("heading", name="Deleted highlight")).to_be_visible()
    assert "The replies stay" in messages[0]
    thread = card.get_by_role("region", name="Discussion")
    expect(thread.locator(".reply strong", has_text="exports")).to_be_visible()
    expect(thread).to_contain_text("Cri Tic")
    expect(page.locator(f'mark[data-annotations~="{claim.pk}"]')).to_have_count(0)
    expect(page.locator("#margin-toggle-count")).to_have_text("0")
    assert NOTE not in page.content()
    assert "Exports fell by a third." not in page.locator("#margin").inner_text()
    # The author may no longer edit or delete what is now only the thread's placeholder.
    expect(card.get_by_role("link", name=re.compile("^(Edit|Delete)"))).to_have_count(0)

    claim.refresh_from_db()
    assert claim.deleted_at is not None
    assert (claim.note, claim.exact, claim.prefix, claim.suffix) == ("", "", "", "")
    assert list(Reply.objects.values_list("body", flat=True)) == ["Only **exports**, not imports."]
    assert csp_violations == []

    # A reload shows the same: the thread under its placeholder, no highlight in the text.
    page.reload()
    expect(page.locator(f"#annotation-{claim.pk}")).to_contain_text("Deleted highlight")
    expect(page.locator("mark")).to_have_count(0)
