"""A crowded margin in Chromium: stubs fill in as they come into view, and nothing a reader
does (clicking a highlight, filtering, writing, live updates) meets an empty stub."""

import re

import pytest
from playwright.sync_api import expect

from annotations.models import Annotation
from annotations.views import MARGIN_FIRST
from tests.browser.conftest import drag_select
from tests.factories import make_annotation, make_article, make_user

PARAGRAPHS = 30
PER_PARAGRAPH = 2
LABELS = ["claim", "evidence", "opinion"]


def text(n: int) -> str:
    return f"Paragraph {n} opens here. It makes a point, then a second point, and it closes."


@pytest.fixture
def crowded(db):
    article = make_article(
        "A crowded page", blocks=[("paragraph", text(n)) for n in range(1, PARAGRAPHS + 1)]
    )
    writer = make_user("writer", first_name="Wren")
    annotations = []
    for n in range(1, PARAGRAPHS + 1):
        for k, (start, end) in enumerate([(0, 12), (29, 40)][:PER_PARAGRAPH]):
            annotation = make_annotation(
                article, writer, block=n, start=start, end=end, label=LABELS[(n + k) % 3]
            )
            annotation.note = f"Why {n}.{k} matters"
            annotation.save()
            annotations.append(annotation)
    return {"article": article, "annotations": annotations}


@pytest.fixture
def reader(sign_in):
    user = make_user("reader", first_name="Rea")
    sign_in(user)
    return user


def stubs(page):
    return page.locator("#margin .card--stub")


def test_stubs_fill_in_as_the_margin_scrolls(live_server, page, crowded, reader):
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(live_server.url + crowded["article"].get_absolute_url())
    total = len(crowded["annotations"])
    expect(page.locator("#margin [data-annotation]")).to_have_count(total)
    expect(page.locator("#margin .card:not(.card--stub)")).to_have_count(MARGIN_FIRST)
    last = crowded["annotations"][-1]
    card = page.locator(f"#annotation-{last.pk}")
    expect(card).to_have_class(re.compile("card--stub"))
    # Each stub's link names its highlight: a screen reader hears dozens of them in a row.
    name = re.compile(f"^Show note and replies — this {last.label} on ¶{PARAGRAPHS}$")
    expect(card.get_by_role("link", name=name)).to_be_visible()
    # Scrolling the margin's column to its end fills in what comes into view.
    page.locator("#margin").hover()
    for _ in range(30):
        page.mouse.wheel(0, 1200)
        if stubs(page).count() == 0:
            break
        page.wait_for_timeout(100)
    expect(card).not_to_have_class(re.compile("card--stub"))
    expect(card).to_contain_text(f"Why {PARAGRAPHS}.{PER_PARAGRAPH - 1} matters")
    expect(card).to_contain_text("Wren")
    expect(stubs(page)).to_have_count(0)


def test_a_highlight_clicked_deep_in_the_text_shows_its_full_card_focused(
    live_server, page, crowded, reader
):
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(live_server.url + crowded["article"].get_absolute_url())
    target = crowded["annotations"][-2]
    mark = page.locator(f'mark[data-annotations~="{target.pk}"]').first
    mark.scroll_into_view_if_needed()
    mark.click()
    card = page.locator(f"#annotation-{target.pk}")
    expect(card).to_contain_text(f"Why {PARAGRAPHS}.0 matters")
    expect(card).to_be_focused()
    expect(card).to_have_class(re.compile("card--active"))
    expect(card).to_be_in_viewport()


def test_a_filter_counts_every_highlight_stubs_included(live_server, page, crowded, reader):
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(live_server.url + crowded["article"].get_absolute_url())
    page.get_by_role("radio", name="Evidence").check()
    evidence = [a for a in crowded["annotations"] if a.label == "evidence"]
    expect(page.locator("[data-filter-status]")).to_have_text(
        f"Showing {len(evidence)} of {len(crowded['annotations'])} highlights"
    )
    expect(
        page.locator('#margin [data-annotation]:not([hidden])[data-kind="evidence"]')
    ).to_have_count(len(evidence))
    expect(
        page.locator('#margin [data-annotation]:not([hidden])[data-kind="claim"]')
    ).to_have_count(0)


def test_a_new_highlight_deep_in_the_text_arrives_in_full_and_what_is_on_screen_stays_full(
    live_server, page, crowded, reader
):
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(live_server.url + crowded["article"].get_absolute_url())
    # Bring the end of the margin into view (filled in), then write at the end of the text.
    deep = crowded["annotations"][-1]
    page.locator(f'mark[data-annotations~="{deep.pk}"]').first.click()
    deep_card = page.locator(f"#annotation-{deep.pk}")
    expect(deep_card).not_to_have_class(re.compile("card--stub"))
    drag_select(page, PARAGRAPHS, "and it closes")
    page.locator("[data-selection-toolbar]").get_by_role("button", name="Opinion").click()
    expect(page.locator(f"#p-{PARAGRAPHS} mark", has_text="and it closes")).to_be_visible()
    created = Annotation.objects.get(exact="and it closes")
    assert created.author == reader and created.label == "opinion"
    card = page.locator(f"#annotation-{created.pk}")
    expect(card).not_to_have_class(re.compile("card--stub"))
    expect(card).to_contain_text("Rea")
    # The margin came back fresh, yet the card that was on screen is still whole.
    expect(deep_card).not_to_have_class(re.compile("card--stub"))
    expect(deep_card).to_contain_text(f"Why {PARAGRAPHS}.{PER_PARAGRAPH - 1} matters")


def test_a_batch_that_failed_says_so_and_loads_when_seen_again(live_server, page, crowded, reader):
    page.set_viewport_size({"width": 1366, "height": 900})
    failed = []

    def fail_once(route):
        if not failed:
            failed.append(route.request.url)
            route.fulfill(
                status=503,
                content_type="text/plain; charset=utf-8",
                body="Gloss is down for a moment.",
            )
        else:
            route.continue_()

    page.route("**/cards/**", fail_once)
    page.goto(live_server.url + crowded["article"].get_absolute_url())
    margin = page.locator("#margin")
    first_stub = crowded["annotations"][MARGIN_FIRST]
    card = page.locator(f"#annotation-{first_stub.pk}")
    card.scroll_into_view_if_needed()
    expect(page.get_by_text("Gloss is down for a moment.")).to_be_visible()
    expect(card).to_have_class(re.compile("card--stub"))
    # Away and back: the batch asks again, and this time it arrives.
    margin.evaluate("m => { m.scrollTop = 0; }")
    page.wait_for_timeout(300)
    card.scroll_into_view_if_needed()
    expect(card).not_to_have_class(re.compile("card--stub"))
    expect(card).to_contain_text("Wren")
    assert len(failed) == 1


def test_scrolling_away_from_a_card_that_will_not_load_is_not_undone(
    live_server, page, crowded, reader
):
    page.set_viewport_size({"width": 1366, "height": 900})
    deep = crowded["annotations"][-1]
    # Its batch never arrives; every other batch does.
    page.route(
        "**/cards/**",
        lambda route: route.abort() if str(deep.pk) in route.request.url else route.continue_(),
    )
    page.goto(live_server.url + crowded["article"].get_absolute_url())
    page.locator(f'mark[data-annotations~="{deep.pk}"]').first.click()
    deep_card = page.locator(f"#annotation-{deep.pk}")
    expect(deep_card).to_be_focused()
    # The reader scrolls the margin back up; the batches there fill in (each a swap)…
    page.locator("#margin").hover()
    for _ in range(4):
        page.mouse.wheel(0, -1500)
        page.wait_for_timeout(150)
    middle = crowded["annotations"][MARGIN_FIRST + 20]
    expect(page.locator(f"#annotation-{middle.pk}")).not_to_have_class(re.compile("card--stub"))
    # …and none of them pulls the margin back down to the card that could not load.
    page.wait_for_timeout(300)
    expect(deep_card).not_to_be_in_viewport()
