"""The XSS corpus in every user field, in real Chromium: nothing runs, nothing is requested."""

import re

from playwright.sync_api import expect

from tests.annotations.test_hostile_text import PAYLOADS, hostile, make_world
from tests.browser.test_csp import Watch, visit, walk
from tests.factories import make_annotation

CLICK_ME = "<button hx-get=/admin/ hx-trigger=click>click me</button>"
# Every third payload (each section of the corpus is represented) and the clickable one: a
# page with all of them in every field takes Chromium too long; tests/annotations/
# test_hostile_text.py renders the whole corpus in every field on the server.
SAMPLE = [*PAYLOADS[::3], *([] if CLICK_ME in PAYLOADS[::3] else [CLICK_ME])]
# Attributes only a payload could have put in the page: our templates use none of these values.
USER_MADE = r"""() => [...document.querySelectorAll("*")].flatMap((el) =>
  [...el.attributes]
    .filter((a) => /^on/i.test(a.name) || a.name === "style" ||
      (/^(data-)?hx-/.test(a.name) &&
       /\/admin\/|alert|evil\.example|pwned|stolen|read-all|js:/.test(a.value)))
    .map((a) => `${el.tagName} ${a.name}="${a.value}"`))"""


def test_it_runs_nothing_from_the_corpus_on_any_page(
    live_server, page, context, sign_in, csp_violations
):
    page.set_default_timeout(60_000)  # pages full of payloads, on a shared machine
    world = make_world(lambda n: SAMPLE[n % len(SAMPLE)], "xss", count=len(SAMPLE))
    # A highlight over the paragraph whose text is a clickable htmx payload.
    block = world.article.blocks.get(text__contains=CLICK_ME)
    mark = make_annotation(world.article, world.curator, block=block.position, end=len(block.text))
    watch = Watch(csp=csp_violations)
    watch.attach(page)
    requests = []
    page.on("request", lambda r: requests.append(r.url))

    walk(live_server, page, context, sign_in, world, watch)
    assert watch.clean(), (watch.csp, watch.errors, watch.dialogs)

    # The payloads are on screen as text, and never became attributes in the live DOM,
    # neither on the first render nor after htmx swapped fragments in.
    page.goto(f"{live_server.url}{world.article.get_absolute_url()}?thread={world.claim.pk}")
    thread = page.locator(f"#annotation-{world.claim.pk}").get_by_role("region", name="Discussion")
    expect(thread).to_contain_text(CLICK_ME)
    assert page.evaluate(USER_MADE) == []

    # Clicking the words of an htmx payload, in the text and in a reply, does nothing.
    requests.clear()
    highlight = page.locator(f'mark[data-annotations~="{mark.pk}"]').first
    expect(highlight).to_contain_text(CLICK_ME)
    highlight.click()
    thread.locator(".reply__body", has_text=CLICK_ME).first.click()
    page.wait_for_timeout(500)
    fetched = [url for url in requests if re.search(r"/admin/|read-all|evil\.example", url)]
    assert fetched == []
    assert page.evaluate(USER_MADE) == []
    assert watch.clean(), (watch.csp, watch.errors, watch.dialogs)
    assert len(SAMPLE) >= 60

    # The control: the same markup as a real element is live, and both checks see it.
    page.evaluate(
        """const slot = document.createElement("div");
           slot.innerHTML = '<button id="control" hx-get="/admin/" hx-trigger="click">x</button>';
           document.querySelector("#content").append(slot);
           htmx.process(slot);"""
    )
    with page.expect_request(re.compile(r"/admin/(\?|$)"), timeout=10_000):
        page.locator("#control").dispatch_event("click")
    assert page.evaluate(USER_MADE) != []


def test_it_shows_a_hostile_display_name_as_text_in_the_header(live_server, page, sign_in):
    world = make_world(hostile, "name", count=1)
    watch = Watch(csp=[])
    watch.attach(page)
    sign_in(world.curator)
    visit(page, live_server.url + "/", watch)
    expect(page.locator(".site-nav__who strong")).to_have_text(world.curator.first_name)
    assert watch.clean(), (watch.errors, watch.dialogs)
