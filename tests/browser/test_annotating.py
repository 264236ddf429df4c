import re

import pytest
from playwright.sync_api import expect

from annotations.models import Annotation
from tests.browser.conftest import drag_select
from tests.factories import make_annotation, make_article, make_user

P2 = "The Kremlin’s offer is simple — and, some say, a trap for the West."
P3 = "Sanctions cost Russia 𝒳 growth in 2023. Exports fell by a third. Oil held up."
P4 = "Critics argue the deal “rewards aggression”. Supporters call it realism."


@pytest.fixture
def article(db):
    return make_article(
        "The deal",
        slug="the-deal",
        blocks=[
            ("heading", "Putin’s position"),
            ("paragraph", P2),
            ("paragraph", P3),
            ("paragraph", P4),
        ],
    )


@pytest.fixture
def reader(sign_in):
    user = make_user("reader", first_name="Rea Der")
    sign_in(user)
    return user


def open_article(page, live_server, article):
    page.goto(live_server.url + article.get_absolute_url())
    # Survives only as long as the page is not reloaded.
    page.evaluate("window.__sameDocument = true")


def assert_not_reloaded(page):
    assert page.evaluate("window.__sameDocument === true")


def marks_text(page, annotation_id):
    return page.locator(f'mark[data-annotations~="{annotation_id}"]').all_text_contents()


def test_it_highlights_a_passage_selected_with_the_mouse(
    live_server, page, article, reader, csp_violations
):
    open_article(page, live_server, article)
    drag_select(page, 2, "Kremlin’s offer")
    toolbar = page.get_by_role("form", name="Label the selected passage")
    expect(toolbar).to_be_visible()
    toolbar.get_by_role("button", name="Claim", exact=True).click()

    card = page.locator(".card").first
    expect(card).to_contain_text("Kremlin’s offer")
    annotation = Annotation.objects.get()
    assert (annotation.exact, annotation.label, annotation.author) == (
        "Kremlin’s offer",
        "claim",
        reader,
    )
    assert (annotation.start_block.position, annotation.start_offset, annotation.end_offset) == (
        2,
        4,
        19,
    )
    assert "".join(marks_text(page, annotation.pk)) == "Kremlin’s offer"
    expect(card).to_contain_text("Rea Der")
    expect(toolbar).to_be_hidden()
    assert_not_reloaded(page)
    assert csp_violations == []

    # After a reload the highlight sits on exactly the same words.
    page.reload()
    assert "".join(marks_text(page, annotation.pk)) == "Kremlin’s offer"


def test_it_highlights_across_two_paragraphs_as_one_evidence(live_server, page, article, reader):
    open_article(page, live_server, article)
    drag_select(page, 2, "a trap for", 3, "Sanctions cost")
    page.get_by_role("button", name="Evidence", exact=True).click()
    expect(page.locator(".card")).to_have_count(1)
    annotation = Annotation.objects.get()
    assert annotation.exact == "a trap for the West.\nSanctions cost"
    assert annotation.label == "evidence"
    assert (annotation.start_block.position, annotation.end_block.position) == (2, 3)
    assert marks_text(page, annotation.pk) == ["a trap for the West.", "Sanctions cost"]
    expect(page.locator(f'mark[data-annotations~="{annotation.pk}"]').first).to_have_attribute(
        "data-kind", "evidence"
    )
    assert_not_reloaded(page)


def test_it_highlights_a_selection_starting_inside_an_existing_highlight(
    live_server, page, article, reader
):
    other = make_annotation(
        article, make_user("other"), block=2, start=4, end=19
    )  # Kremlin’s offer
    open_article(page, live_server, article)
    drag_select(page, 2, "offer is simple")
    page.get_by_role("button", name="Opinion", exact=True).click()
    expect(page.locator(".card")).to_have_count(2)
    mine = Annotation.objects.exclude(pk=other.pk).get()
    assert mine.exact == "offer is simple"
    assert mine.start_offset == 14 and mine.label == "opinion"
    overlap = page.locator(f'mark[data-annotations="{other.pk} {mine.pk}"]')
    expect(overlap).to_have_text("offer")
    expect(overlap).to_have_class(re.compile("hl--overlap"))


def test_it_counts_typographic_and_non_bmp_characters_as_the_server_does(
    live_server, page, article, reader
):
    open_article(page, live_server, article)
    drag_select(page, 3, "𝒳 growth")
    page.get_by_role("button", name="Claim", exact=True).click()
    expect(page.locator(".card")).to_have_count(1)
    annotation = Annotation.objects.get()
    assert annotation.exact == "𝒳 growth"
    assert (annotation.start_offset, annotation.end_offset) == (22, 30)

    drag_select(page, 4, "“rewards aggression”")
    page.get_by_role("button", name="Opinion", exact=True).click()
    expect(page.locator(".card")).to_have_count(2)
    assert Annotation.objects.filter(exact="“rewards aggression”", label="opinion").exists()


def test_it_saves_a_note_with_the_highlight(live_server, page, article, reader):
    open_article(page, live_server, article)
    drag_select(page, 3, "Exports fell by a third.")
    page.get_by_role("button", name="Add note").click()
    page.get_by_label("Note").fill("Which source says a third?")
    page.get_by_role("button", name="Evidence", exact=True).click()
    expect(page.locator(".card")).to_contain_text("Which source says a third?")
    assert Annotation.objects.get().note == "Which source says a third?"


def test_another_reader_sees_the_highlight(live_server, page, article, reader, browser, sign_in):
    open_article(page, live_server, article)
    drag_select(page, 2, "a trap")
    page.get_by_role("button", name="Claim", exact=True).click()
    expect(page.locator(".card")).to_have_count(1)
    annotation = Annotation.objects.get()

    other_context = browser.new_context()
    sign_in(make_user("classmate"), other_context)
    other = other_context.new_page()
    other.goto(live_server.url + article.get_absolute_url())
    expect(other.locator(f'mark[data-annotations~="{annotation.pk}"]')).to_have_text("a trap")
    expect(other.locator(".card")).to_contain_text("Rea Der")
    # Not theirs to change.
    expect(other.locator(".card").get_by_role("link", name=re.compile("^Edit"))).to_have_count(0)
    other_context.close()


def test_a_double_click_on_a_label_creates_one_highlight(live_server, page, article, reader):
    open_article(page, live_server, article)
    drag_select(page, 2, "some say")
    page.get_by_role("button", name="Claim", exact=True).dblclick()
    expect(page.locator(".card")).to_have_count(1)
    page.wait_for_timeout(300)
    assert Annotation.objects.count() == 1


def test_a_keyboard_only_reader_can_annotate_sentences(live_server, page, article, reader):
    open_article(page, live_server, article)
    button = page.get_by_role("link", name="Annotate paragraph 3")
    button.focus()
    page.keyboard.press("Enter")
    first = page.get_by_label("From sentence")
    expect(first).to_be_focused()
    first.select_option("2")
    page.keyboard.press("Tab")
    expect(page.get_by_label("To sentence")).to_be_focused()
    page.get_by_label("To sentence").select_option("3")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowRight")  # radio group: Claim -> Evidence
    form = page.get_by_role("form", name="Annotate paragraph 3")
    expect(form.get_by_role("radio", name="Evidence")).to_be_checked()
    page.keyboard.press("Tab")
    expect(form.get_by_label("Visible to")).to_be_focused()  # "Everyone" by default
    page.keyboard.press("Tab")
    page.keyboard.type("Two facts in a row.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    card = page.locator(".card")
    expect(card).to_have_count(1)
    expect(card).to_be_focused()
    annotation = Annotation.objects.get()
    assert annotation.exact == "Exports fell by a third. Oil held up."
    assert (annotation.label, annotation.note) == ("evidence", "Two facts in a row.")
    assert "".join(marks_text(page, annotation.pk)) == "Exports fell by a third. Oil held up."


def test_an_anonymous_reader_is_invited_to_sign_in(live_server, page, article):
    make_annotation(article, make_user("other"), block=2, start=4, end=19)
    page.goto(live_server.url + article.get_absolute_url())
    expect(page.locator("mark").first).to_have_text("Kremlin’s offer")
    drag_select(page, 3, "Exports fell")
    prompt = page.locator("[data-signin-prompt]")
    expect(prompt).to_be_visible()
    expect(prompt.get_by_role("link", name="Sign in to annotate")).to_be_visible()
    expect(page.get_by_role("button", name="Claim", exact=True)).to_have_count(0)


def test_the_author_edits_and_deletes_from_the_card(live_server, page, article, reader):
    annotation = make_annotation(article, reader, block=2, start=4, end=19)
    open_article(page, live_server, article)
    card = page.locator(f"#annotation-{annotation.pk}")
    card.get_by_role("link", name=re.compile("^Edit")).click()
    form = page.get_by_role("form", name="Edit your highlight")
    form.get_by_role("radio", name="Opinion").check()
    form.get_by_label("Note").fill("More of an opinion.")
    form.get_by_role("button", name="Save").click()
    expect(page.locator(f"#annotation-{annotation.pk}")).to_contain_text("More of an opinion.")
    expect(page.locator(f'mark[data-annotations~="{annotation.pk}"]')).to_have_attribute(
        "data-kind", "opinion"
    )
    annotation.refresh_from_db()
    assert annotation.label == "opinion"

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#annotation-{annotation.pk}").get_by_role(
        "link", name=re.compile("^Delete")
    ).click()
    expect(page.locator(".card")).to_have_count(0)
    expect(page.locator("mark")).to_have_count(0)
    assert not Annotation.objects.exists()
    assert_not_reloaded(page)


def test_clicking_a_card_flashes_its_highlight_and_a_highlight_focuses_its_card(
    live_server, page, article, reader
):
    first = make_annotation(article, reader, block=2, start=4, end=19)
    second = make_annotation(article, make_user("other"), block=4, start=0, end=7, label="opinion")
    open_article(page, live_server, article)
    page.locator(f"#annotation-{second.pk} [data-jump]").click()
    expect(page.locator(f'mark[data-annotations~="{second.pk}"]').first).to_have_class(
        re.compile("hl--flash")
    )
    page.locator(f'mark[data-annotations~="{first.pk}"]').first.click()
    expect(page.locator(f"#annotation-{first.pk}")).to_be_focused()


def test_the_margin_is_a_drawer_on_a_phone(live_server, page, article, reader):
    make_annotation(article, reader, block=2, start=4, end=19)
    page.set_viewport_size({"width": 390, "height": 844})
    open_article(page, live_server, article)
    margin = page.locator("#margin")
    expect(margin).not_to_be_in_viewport()
    toggle = page.get_by_role("button", name=re.compile("^Highlights"))
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(margin.locator(".card")).to_be_in_viewport()
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")


def test_a_selection_reaching_outside_the_text_is_clipped_to_it(live_server, page, article, reader):
    open_article(page, live_server, article)
    # Press on the standfirst, above the article text, and drag into paragraph 2.
    box = page.locator(".standfirst").bounding_box()
    page.mouse.move(box["x"] + 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    end = page.evaluate(
        """() => {
          const el = document.querySelector('[data-block="2"] [data-block-text]');
          const node = el.firstChild;
          const i = node.textContent.indexOf("Kremlin’s") + "Kremlin’s".length - 1;
          const r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + 1);
          const rect = r.getBoundingClientRect();
          return {x: rect.right - 1, y: rect.top + rect.height / 2};
        }"""
    )
    page.mouse.move(end["x"], end["y"], steps=6)
    page.mouse.up()
    page.get_by_role("button", name="Claim", exact=True).click()
    expect(page.locator(".card")).to_have_count(1)
    annotation = Annotation.objects.get()
    assert annotation.exact == "Putin’s position\nThe Kremlin’s"
    assert (annotation.start_block.position, annotation.start_offset) == (1, 0)


def test_a_whitespace_only_selection_offers_nothing(live_server, page, article, reader):
    open_article(page, live_server, article)
    page.evaluate(
        """() => {
          const node = document.querySelector('[data-block="2"] [data-block-text]').firstChild;
          const i = node.textContent.indexOf(" ");
          const range = document.createRange();
          range.setStart(node, i); range.setEnd(node, i + 1);
          getSelection().removeAllRanges(); getSelection().addRange(range);
          document.querySelector("[data-article-body]").dispatchEvent(
            new MouseEvent("mouseup", {bubbles: true}));
        }"""
    )
    page.wait_for_timeout(400)
    expect(page.locator("[data-selection-toolbar]")).to_be_hidden()
    # A real selection right after shows it, so the check above is not vacuous.
    drag_select(page, 2, "simple")
    expect(page.locator("[data-selection-toolbar]")).to_be_visible()


def test_the_margin_filters_by_label_and_by_author(live_server, page, article, reader):
    mine = make_annotation(article, reader, block=2, start=4, end=19, label="claim")
    theirs = make_annotation(article, make_user("other"), block=3, start=0, end=9, label="evidence")
    open_article(page, live_server, article)
    margin = page.locator("#margin")
    expect(margin).to_contain_text("1 claim")
    expect(margin).to_contain_text("1 evidence")
    margin.get_by_role("radio", name="Evidence").check()
    expect(page.locator(f"#annotation-{mine.pk}")).to_be_hidden()
    expect(page.locator(f"#annotation-{theirs.pk}")).to_be_visible()
    expect(page.locator("[data-filter-status]")).to_have_text("Showing 1 of 2 highlights")
    margin.get_by_role("radio", name="All").check()
    margin.get_by_role("radio", name="Me").check()
    expect(page.locator(f"#annotation-{mine.pk}")).to_be_visible()
    expect(page.locator(f"#annotation-{theirs.pk}")).to_be_hidden()
