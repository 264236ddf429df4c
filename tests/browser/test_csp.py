"""Every page a reader, student, teacher or curator can reach runs under the CSP without a single
violation, in real Chromium, including the fragments htmx swaps in and the Django admin."""

import re
from dataclasses import dataclass, field

from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from playwright.sync_api import expect

from tests.annotations.test_hostile_text import benign, make_world

# Routes that are not pages, each with why; the walk checks each answers a GET as it says.
NOT_PAGES = {
    "annotations:read": "POST only",
    "annotations:read_all": "POST only",
    "annotations:create": "POST only",
    "annotations:reply": "POST only",
    "annotations:resolve": "POST only",
    "annotations:mark_answer": "POST only",
    "annotations:annotation_helpful": "POST only",
    "annotations:reply_helpful": "POST only",
    "links:delete": "POST only",
    "classrooms:rotate_code": "POST only",
    "classrooms:remove_member": "POST only",
    "classrooms:add_teacher": "POST only",
    "classrooms:open_discussion": "POST only",
    "classrooms:hide_annotation": "POST only",
    "classrooms:hide_reply": "POST only",
    "classrooms:flag_annotation": "POST only",
    "classrooms:flag_reply": "POST only",
    "classrooms:moderation_decide": "POST only",
    "logout": "POST only",
    "classrooms:dashboard_csv": "a CSV download",
    "classrooms:annotations_csv": "a CSV download",
}


# See admin_urls: Django's own widgets, not our code; their list and add pages are walked.
def routes(patterns=None, namespace=""):
    """Every named route outside the admin: ("namespace:name", its pattern)."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # walked model by model, see admin_urls
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from routes(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield namespace + pattern.name, pattern.pattern


def route_names() -> set[str]:
    return {name for name, _ in routes()}


def takes_arguments(name: str) -> bool:
    try:
        reverse(name)
    except NoReverseMatch:
        return True
    return False


def page_urls(world) -> dict[str, tuple[str, str]]:
    """URL name: (who visits it, the URL), for every route that is a page."""
    article, claim, assignment = world.article, world.claim, world.assignment
    in_class = f"?assignment={assignment.pk}"
    classroom = world.classes[0]
    pages = {
        "articles:detail": ("curator", article.get_absolute_url()),
        "annotations:annotate_block": (
            "curator",
            reverse("annotations:annotate_block", args=[article.slug, 2]),
        ),
        "annotations:updates": ("curator", reverse("annotations:updates", args=[article.slug])),
        "annotations:cards": (
            "curator",
            reverse("annotations:cards", args=[article.slug]) + f"?ids={claim.pk}",
        ),
        "annotations:card": ("curator", reverse("annotations:card", args=[claim.pk]) + in_class),
        "annotations:edit": ("curator", reverse("annotations:edit", args=[world.public.pk])),
        "annotations:delete": ("curator", reverse("annotations:delete", args=[world.public.pk])),
        "annotations:thread": ("curator", reverse("annotations:thread", args=[claim.pk])),
        "annotations:reply_edit": (
            "curator",
            reverse("annotations:reply_edit", args=[world.answer.pk]),
        ),
        "annotations:reply_delete": (
            "curator",
            reverse("annotations:reply_delete", args=[world.answer.pk]),
        ),
        "links:picker": ("student", reverse("links:picker", args=[world.evidence[0].pk])),
        "links:debate_map": ("curator", reverse("links:debate_map", args=[article.slug])),
        "classrooms:join_code": (
            "student",
            reverse("classrooms:join_code", args=[world.classes[1].join_code]),
        ),
        "classrooms:detail": ("curator", classroom.get_absolute_url()),
        "classrooms:settings": ("curator", reverse("classrooms:settings", args=[classroom.pk])),
        "classrooms:assignment_create": (
            "curator",
            reverse("classrooms:assignment_create", args=[classroom.pk]),
        ),
        "classrooms:assignment": ("student", assignment.get_absolute_url()),
        "classrooms:dashboard": ("curator", reverse("classrooms:dashboard", args=[assignment.pk])),
    }
    for name in route_names():
        if name not in pages and name not in NOT_PAGES and not takes_arguments(name):
            # A new page without arguments is walked without anyone having to list it.
            pages[name] = ("curator", reverse(name))
    return pages


def admin_urls(world) -> list[str]:
    """Every registered model's list, add and change pages, and our own admin screens."""
    urls = [
        reverse("admin:index"),
        reverse("admin:articles_article_import"),
        reverse("admin:annotations_annotation_reattach", args=[world.claim.pk]),
    ]
    for model, model_admin in admin.site._registry.items():
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls.append(reverse(f"{info}_changelist"))
        if model_admin.has_add_permission(_request(world.curator)):
            urls.append(reverse(f"{info}_add"))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            urls.append(reverse(f"{info}_change", args=[first.pk]))
    return urls


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


@dataclass
class Watch:
    """What went wrong in the browser: CSP reports, uncaught errors, dialogs, failed loads."""

    csp: list
    errors: list = field(default_factory=list)
    dialogs: list = field(default_factory=list)
    visited: list = field(default_factory=list)

    def attach(self, page):
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))
        page.on("console", self._console(page))

        def dialog(d):
            self.dialogs.append(f"{page.url}: {d.type} {d.message}")
            d.dismiss()

        page.on("dialog", dialog)
        page.on("response", self._response)

    def _response(self, response):
        if "/static/" in response.url and response.status >= 400:
            self.errors.append(f"{response.url}: {response.status}")

    def _console(self, page):
        def console(message):
            text = message.text
            # CSP reports are collected apart; the 404 and 403 pages' own statuses are expected,
            # and a failed static file is caught by _response.
            expected = "Content Security Policy" in text or re.search(r"status of 40[34]", text)
            if message.type == "error" and not expected:
                self.errors.append(f"{page.url}: console error {text}")

        return console

    def clean(self) -> bool:
        return not (self.csp or self.errors or self.dialogs)


def visit(page, url, watch, status=None):
    response = page.goto(url)
    page.wait_for_load_state("load")
    watch.visited.append(url)
    if status is not None:
        assert response.status == status, (url, response.status)
    else:
        assert response.status < 400, (url, response.status)
    return response


def walk(live_server, page, context, sign_in, world, watch, interact=True):
    """Visit every page, as the person who can see it, plus the admin; exercise htmx."""
    base = live_server.url
    # Signed out: what anyone can read, the sign-in pages, a 404 and the CSRF failure page.
    for url in [
        "/",
        world.article.get_absolute_url(),
        reverse("links:debate_map", args=[world.article.slug]),
        world.public.get_absolute_url(),
        reverse("login"),
        reverse("signup"),
    ]:
        visit(page, base + url, watch)
    visit(page, base + "/no-such-page/", watch, status=404)
    visit(page, base + reverse("login"), watch)
    context.clear_cookies()
    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password").fill("nothing")
    page.get_by_role("button", name=re.compile("Log in", re.I)).click()
    expect(page.locator("body")).to_contain_text("security token")

    urls = page_urls(world)
    for who in ["student", "curator"]:
        context.clear_cookies()
        sign_in(getattr(world, who))
        for visitor, url in urls.values():
            if visitor == who:
                visit(page, base + url, watch)
        if who == "student":
            for url in [
                "/assignments/",
                "/notifications/",
                world.classes[0].get_absolute_url(),
                "/classes/",
            ]:
                visit(page, base + url, watch)
            if interact:
                open_link_picker(page, base, world)
    for url in admin_urls(world):
        visit(page, base + url, watch)
    import_preview(page, base, world)
    if interact:
        htmx_interactions(page, base, world)
    return urls


def open_link_picker(page, base, world):
    visit(page, base + world.assignment.get_absolute_url(), Watch(csp=[]))
    card = page.locator(f"#annotation-{world.evidence[0].pk}")
    card.get_by_role("link", name=re.compile("^Link to a claim")).click()
    expect(card.locator("form, .link-picker").first).to_be_visible()


def import_preview(page, base, world):
    page.goto(base + reverse("admin:articles_article_import"))
    text = "\n\n".join(
        [world.article.title + " again", "By Ann Author"]
        + [b.text for b in world.article.blocks.all()]
    )
    page.get_by_label("Paste the article").fill(text)
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#import-blocks")).to_be_visible()


def htmx_interactions(page, base, world):
    """Open a thread, post a reply, open the keyboard annotate form: fragments swapped in."""
    page.goto(base + world.article.get_absolute_url() + f"?assignment={world.assignment.pk}")
    card = page.locator(f"#annotation-{world.claim.pk}")
    card.get_by_role("link", name=re.compile("^Discuss")).click()
    thread = card.get_by_role("region", name="Discussion")
    expect(thread).to_be_visible()
    before = thread.locator(".reply").count()
    thread.get_by_role("textbox", name="Reply", exact=True).last.fill("A reply *with* Markdown.")
    thread.get_by_role("radio", name="Question").last.check()
    thread.get_by_role("button", name="Post reply").last.click()
    expect(thread.locator(".reply")).to_have_count(before + 1)

    page.get_by_role("link", name="Annotate paragraph 2", exact=True).click()
    expect(page.locator("#p-2-form form")).to_be_visible()


def test_it_walks_every_page_under_the_csp_without_a_violation(
    live_server, page, context, sign_in, csp_violations
):
    world = make_world(benign, "csp", count=3)
    watch = Watch(csp=csp_violations)
    watch.attach(page)
    urls = walk(live_server, page, context, sign_in, world, watch)

    # Nothing the URL conf serves was forgotten: each route is walked or said not to be a page.
    names = route_names()
    assert names <= set(urls) | set(NOT_PAGES), names - set(urls) - set(NOT_PAGES)
    assert set(NOT_PAGES) <= names, set(NOT_PAGES) - names  # stale entries
    client = Client()
    client.force_login(world.curator)
    for name, why in NOT_PAGES.items():
        if why == "POST only":
            assert client.get(some_url(name, world)).status_code == 405, name
    for name in ["classrooms:dashboard_csv", "classrooms:annotations_csv"]:
        response = client.get(reverse(name, args=[world.assignment.pk]))
        assert response["Content-Type"].startswith("text/csv"), name
    assert len(watch.visited) >= 50, len(watch.visited)
    assert watch.clean(), (watch.csp, watch.errors, watch.dialogs)


def some_url(name: str, world) -> str:
    """A URL for a route that is not a page, to check how it answers a GET."""
    pattern = dict(routes())[name]
    return reverse(
        name,
        args=[world.article.slug if arg == "slug" else 1 for arg in pattern.regex.groupindex],
    )


def test_it_reports_an_inline_handler_that_the_csp_blocks(live_server, page, csp_violations):
    """The walk's detector works: an injected inline handler is refused, reported, never run."""
    watch = Watch(csp=csp_violations)
    watch.attach(page)
    visit(page, live_server.url + "/", watch)
    page.evaluate(
        """document.body.insertAdjacentHTML(
             "beforeend", '<img src="/static/img/favicon.svg" onload="alert(1)">')"""
    )
    expect(page.locator("img[onload]")).to_have_count(1)
    page.wait_for_timeout(300)
    assert watch.dialogs == []
    assert any("script-src" in report for report in csp_violations), csp_violations
