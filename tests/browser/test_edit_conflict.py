"""Two curators in two browsers edit the same paragraph: the second is told, on screen."""

from django.urls import reverse
from playwright.sync_api import expect

from annotations.models import Annotation
from articles.models import Article
from tests.factories import make_annotation, make_article, make_user

P1 = "Talks between Washington and Moscow have turned to minerals."
P2 = "Critics warn that a deal built on mining rights would reward the invasion."


def test_the_second_curator_to_save_sees_why_and_keeps_her_words(live_server, browser, sign_in):
    article = make_article(slug="minerals", blocks=[("paragraph", P1), ("paragraph", P2)])
    start = P2.index("would reward the invasion")
    claim = make_annotation(
        article, make_user("reader"), block=2, start=start, end=start + len("would reward")
    )
    url = live_server.url + reverse("admin:articles_article_change", args=[article.pk])
    pages = {}
    for name in ("Ada", "Ben"):
        context = browser.new_context()
        sign_in(make_user(name.lower(), first_name=name, is_staff=True, is_superuser=True), context)
        pages[name] = context.new_page()
        pages[name].goto(url)  # both open the form before either saves
    ada, ben = pages["Ada"], pages["Ben"]

    ada.locator("#id_blocks-1-text").fill("From the start, " + P2)
    ada.get_by_role("button", name="Save", exact=True).click()
    expect(ada.locator(".messagelist")).to_contain_text("was changed successfully")

    ben_text = P2.replace("would reward", "could reward")
    ben.locator("#id_blocks-1-text").fill(ben_text)
    ben.get_by_role("button", name="Save", exact=True).click()
    refusal = ben.locator(".errorlist.nonfield")
    expect(refusal).to_contain_text("Someone else (Ada) saved this article at")
    expect(refusal).to_contain_text("Your changes were not saved")
    expect(refusal).to_be_in_viewport()  # at the top, where he looks after saving
    expect(ben.locator("#id_blocks-1-text")).to_have_value(ben_text)  # still his to copy

    # Only Ada's text is stored, and the highlight followed her edit, not his.
    assert article.blocks.get(position=2).text == "From the start, " + P2
    claim.refresh_from_db()
    assert claim.start_offset == start + len("From the start, ")
    assert Article.objects.get(pk=article.pk).edited_by.first_name == "Ada"
    assert Annotation.objects.count() == 1

    # The link beside the message opens what Ada saved, next to his own words.
    with ben.context.expect_page() as opened:
        refusal.get_by_role("link", name="open the current version in a new tab").click()
    current = opened.value
    expect(current.locator("#id_blocks-1-text")).to_have_value("From the start, " + P2)
    current.locator("#id_blocks-1-text").fill(
        ben_text.replace("Critics", "From the start, critics")
    )
    current.get_by_role("button", name="Save", exact=True).click()
    expect(current.locator(".messagelist")).to_contain_text("was changed successfully")
    assert article.blocks.get(position=2).text.startswith("From the start, critics")
    for page in pages.values():
        page.context.close()
