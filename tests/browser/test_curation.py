from django.urls import reverse
from playwright.sync_api import expect

from annotations.models import Annotation
from articles.models import Article
from tests.browser.conftest import drag_select
from tests.factories import make_user

MESSY = """top of page

Minerals for Peace? The Deal Behind the Talks

Why rare earths sit at the centre of the negotiations.

  • Writer: Dana Field
    Dana Field
  • Mar 3
  • 4 min read

Share this article

{talks}

{critics}

Comments

bottom of page
""".format(
    talks="Talks between Washington and Moscow have turned to minerals. Both sides want "
    "access to rare earths and the money that follows them.",
    critics="Critics warn that a deal built on mining rights would reward the invasion. "
    "Supporters say it is the only realistic path.",
)


def test_a_curator_imports_publishes_and_edits_an_annotated_article(live_server, browser, sign_in):
    curator = make_user("curator", is_staff=True, is_superuser=True)
    curator_context = browser.new_context()
    sign_in(curator, curator_context)
    admin = curator_context.new_page()
    admin.goto(live_server.url + reverse("admin:articles_article_import"))
    admin.get_by_label("Paste the article").fill(MESSY)
    admin.get_by_role("button", name="Preview").click()
    # The preview shows what was found and what was left out, and why.
    expect(admin.get_by_label("Title")).to_have_value(
        "Minerals for Peace? The Deal Behind the Talks"
    )
    expect(admin.locator("body")).to_contain_text("reading time")
    admin.get_by_label("Title").fill("Minerals for peace: the deal behind the talks")
    admin.get_by_role("button", name="Save as draft").click()
    article = Article.objects.get()
    assert (article.title, article.status) == (
        "Minerals for peace: the deal behind the talks",
        "draft",
    )
    assert [b.text[:11] for b in article.blocks.order_by("position")] == [
        "Talks betwe",
        "Critics war",
    ]
    assert article.author == "Dana Field"

    # Publish it from its change page.
    admin.goto(live_server.url + reverse("admin:articles_article_change", args=[article.pk]))
    admin.get_by_label("Status").select_option("published")
    admin.get_by_role("button", name="Save", exact=True).click()
    expect(admin.locator(".messagelist")).to_be_visible()

    # A reader highlights two passages.
    reader_context = browser.new_context()
    sign_in(make_user("reader"), reader_context)
    reader = reader_context.new_page()
    reader.goto(live_server.url + f"/articles/{article.slug}/")
    drag_select(reader, 2, "would reward the invasion")
    reader.get_by_role("button", name="Claim", exact=True).click()
    expect(reader.locator(".card")).to_have_count(1)
    drag_select(reader, 2, "Supporters say it is the only realistic path.")
    reader.get_by_role("button", name="Opinion", exact=True).click()
    expect(reader.locator(".card")).to_have_count(2)

    # The curator rewrites the paragraph: new words in front, the last sentence gone.
    admin.goto(live_server.url + reverse("admin:articles_article_change", args=[article.pk]))
    admin.locator("#id_blocks-1-text").fill(
        "From the start, critics warn that a deal built on mining rights would reward the invasion."
    )
    admin.get_by_role("button", name="Save", exact=True).click()
    expect(admin.locator(".messagelist")).to_contain_text("1 detached")

    reader.reload()
    claim = Annotation.objects.get(label="claim")
    marks = reader.locator(f'mark[data-annotations~="{claim.pk}"]')
    expect(marks).to_have_text("would reward the invasion")
    opinion = Annotation.objects.get(label="opinion")
    assert opinion.start_block is None
    card = reader.locator(f"#annotation-{opinion.pk}")
    expect(card).to_contain_text("Detached: its text was removed")
    expect(card).to_contain_text("Supporters say it is the only realistic path.")
    for context in (curator_context, reader_context):
        context.close()
