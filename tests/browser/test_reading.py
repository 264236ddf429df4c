import re

from playwright.sync_api import expect

from tests.factories import make_article


def test_it_opens_an_article_from_home_and_follows_a_paragraph_link(
    live_server, page, csp_violations
):
    paragraphs = [
        ("paragraph", f"Paragraph number {n} says something worth reading. " * 6)
        for n in range(1, 25)
    ]
    article = make_article("A long read", blocks=[("heading", "Opening"), *paragraphs])
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="A long read").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("A long read")
    expect(page.get_by_role("heading", level=2, name="Opening")).to_be_visible()

    # A classmate's "see ¶12" link lands on the paragraph.
    page.goto(f"{live_server.url}{article.get_absolute_url()}#p-12")
    target = page.locator("#p-12")
    expect(target).to_be_in_viewport()
    expect(target).to_contain_text("Paragraph number 11 says")
    expect(page.locator("#p-24")).not_to_be_in_viewport()

    # The paragraph numbers in the margin are links too.
    page.locator("#p-3 .block-number").click()
    expect(page).to_have_url(re.compile(r"#p-3$"))
    assert csp_violations == []
