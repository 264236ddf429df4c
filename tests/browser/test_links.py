import re

import pytest
from playwright.sync_api import expect

from annotations.models import EvidenceLink
from tests.factories import make_annotation, make_article, make_user

P2 = "The Kremlin’s offer is simple — and, some say, a trap for the West."
P3 = "Sanctions cost Russia 2.1 per cent of growth in 2023. Exports fell by a third."
FAR = "Sanctions have failed to dent Russia’s economy at all."


@pytest.fixture
def article(db):
    return make_article(
        "The deal",
        slug="the-deal",
        blocks=[("heading", "Putin’s position"), ("paragraph", P2), ("paragraph", P3)],
    )


@pytest.fixture
def elsewhere(db):
    return make_article(
        "Sanctions at work",
        slug="sanctions-at-work",
        blocks=[("heading", "The economy"), ("paragraph", FAR)],
    )


@pytest.fixture
def reader(sign_in):
    user = make_user("reader", first_name="Rea Der")
    sign_in(user)
    return user


@pytest.fixture
def evidence(article, reader):
    start = P3.index("Exports fell by a third.")
    return make_annotation(article, reader, block=3, start=start, end=start + 24, label="evidence")


@pytest.fixture
def claims(article, elsewhere):
    claimant = make_user("claimant", first_name="Cleo")
    here = make_annotation(article, claimant, block=2, start=4, end=29, label="claim")
    far = make_annotation(elsewhere, claimant, block=2, start=0, end=21, label="claim")
    return here, far


def open_picker(page, live_server, article, evidence):
    page.goto(live_server.url + article.get_absolute_url())
    card = page.locator(f"#annotation-{evidence.pk}")
    card.get_by_role("link", name=re.compile("^Link to a claim")).click()
    picker = card.get_by_role("region", name="Link to a claim")
    expect(picker).to_be_visible()
    return card, picker


def test_the_author_links_evidence_to_a_claim_in_another_article(
    live_server, page, article, elsewhere, evidence, claims, csp_violations
):
    _, far = claims
    card, picker = open_picker(page, live_server, article, evidence)
    # Both claims are offered, this article's first.
    expect(picker.locator(".link-choice__quote")).to_have_text(
        ["Kremlin’s offer is simple", "Sanctions have failed"]
    )
    search = picker.get_by_role("searchbox", name=re.compile("^Search claims"))
    expect(search).to_be_focused()
    search.fill("at work")  # the other article's title
    expect(picker.locator(".link-choice__quote")).to_have_text(["Sanctions have failed"])

    choice = picker.get_by_role("form", name="Sanctions have failed")
    expect(choice).to_contain_text("Sanctions at work")
    expect(choice).to_contain_text("¶2")
    choice.get_by_role("radio", name="Refutes").check()
    choice.get_by_label("Justification (optional)").fill("Exports fell: that is a dent.")
    choice.get_by_role("button", name="Link").click()

    card = page.locator(f"#annotation-{evidence.pk}")
    expect(card).to_contain_text("Refutes: “Sanctions have failed”")
    expect(card).to_contain_text("in “Sanctions at work”")
    expect(card.get_by_role("region", name="Link to a claim")).to_have_count(0)
    link = EvidenceLink.objects.get()
    assert (link.evidence, link.claim, link.relation, link.justification) == (
        evidence,
        far,
        "refutes",
        "Exports fell: that is a dent.",
    )
    assert csp_violations == []

    page.goto(live_server.url + elsewhere.get_absolute_url())
    claim_card = page.locator(f"#annotation-{far.pk}")
    expect(claim_card).to_contain_text("Supported by 0 · Refuted by 1 · Qualified by 0")
    expect(claim_card).to_contain_text("Exports fell by a third.")
    expect(claim_card).to_contain_text("Rea Der")

    page.goto(live_server.url + f"/articles/{elsewhere.slug}/map/")
    entry = page.locator(f"#claim-{far.pk}")
    against = entry.get_by_role("region", name="Evidence against")
    expect(against).to_contain_text("Exports fell by a third.")
    expect(against).to_contain_text("in The deal")
    expect(against).to_contain_text("Exports fell: that is a dent.")
    expect(entry).not_to_contain_text("Unsupported")
    # Each item leads back to its highlight.
    against.get_by_role("link", name=re.compile("Exports fell by a third")).click()
    expect(page).to_have_url(re.compile(rf"/articles/the-deal/\?thread={evidence.pk}"))
    assert csp_violations == []


def test_a_refusal_shows_in_the_form_and_stores_nothing_more(
    live_server, page, article, evidence, claims
):
    here, _ = claims
    _, picker = open_picker(page, live_server, article, evidence)
    choice = picker.get_by_role("form", name="Kremlin’s offer is simple")
    # The same link was made meanwhile, in another tab.
    EvidenceLink.objects.create(
        evidence=evidence, claim=here, relation="supports", author=evidence.author
    )
    choice.get_by_role("radio", name="Qualifies").check()
    choice.get_by_role("button", name="Link").click()
    expect(picker.get_by_role("alert")).to_have_text(
        "This evidence is already linked to that claim."
    )
    assert EvidenceLink.objects.get().relation == "supports"


def test_the_author_removes_a_link_from_the_card(live_server, page, article, evidence, claims):
    here, _ = claims
    EvidenceLink.objects.create(
        evidence=evidence, claim=here, relation="supports", author=evidence.author
    )
    page.goto(live_server.url + article.get_absolute_url())
    claim_card = page.locator(f"#annotation-{here.pk}")
    expect(claim_card).to_contain_text("Supported by 1")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#annotation-{evidence.pk}").get_by_role(
        "button", name="Remove link to claim on ¶2"
    ).click()
    expect(page.locator(f"#annotation-{here.pk}")).not_to_contain_text("Supported by")
    expect(page.locator(f"#annotation-{evidence.pk}")).not_to_contain_text("Supports:")
    assert not EvidenceLink.objects.exists()


def test_someone_else_has_no_link_button(live_server, page, article, claims, sign_in):
    theirs = make_annotation(article, make_user("other"), block=3, start=0, end=9, label="evidence")
    sign_in(make_user("bystander"))
    page.goto(live_server.url + article.get_absolute_url())
    expect(page.locator(f"#annotation-{theirs.pk}")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Link to a claim"))).to_have_count(0)


def test_linking_works_without_javascript(
    live_server, browser, article, elsewhere, evidence, claims, sign_in
):
    _, far = claims
    context = browser.new_context(java_script_enabled=False)
    sign_in(evidence.author, context)
    page = context.new_page()
    page.goto(live_server.url + article.get_absolute_url())
    page.locator(f"#annotation-{evidence.pk}").get_by_role(
        "link", name=re.compile("^Link to a claim")
    ).click()
    expect(page.get_by_role("heading", name="Link evidence to a claim")).to_be_visible()
    page.get_by_role("searchbox").fill("failed")
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".link-choice__quote")).to_have_text(["Sanctions have failed"])
    choice = page.get_by_role("form", name="Sanctions have failed")
    choice.get_by_role("radio", name="Supports").check()
    choice.get_by_role("button", name="Link").click()
    expect(page.locator(f"#annotation-{evidence.pk}")).to_contain_text(
        "Supports: “Sanctions have failed”"
    )
    link = EvidenceLink.objects.get()
    assert (link.claim, link.relation) == (far, "supports")
    context.close()


def test_linking_from_the_pickers_own_page_returns_to_the_evidence(
    live_server, page, article, evidence, claims
):
    here, _ = claims
    page.goto(live_server.url + f"/annotations/{evidence.pk}/link/")
    choice = page.get_by_role("form", name="Kremlin’s offer is simple")
    choice.get_by_role("radio", name="Qualifies").check()
    choice.get_by_role("button", name="Link").click()
    expect(page).to_have_url(re.compile(rf"/articles/the-deal/\?thread={evidence.pk}"))
    expect(page.locator(f"#annotation-{here.pk}")).to_contain_text(
        "Supported by 0 · Refuted by 0 · Qualified by 1"
    )
    assert EvidenceLink.objects.get().claim == here


def test_an_anonymous_reader_of_the_map_sees_a_link_made_elsewhere_at_once(
    live_server, browser, page, article, elsewhere, evidence, claims
):
    _, far = claims
    # Someone without an account has the other article's map open: the claim has no evidence.
    anonymous = browser.new_context()
    map_page = anonymous.new_page()
    map_url = live_server.url + f"/articles/{elsewhere.slug}/map/"
    map_page.goto(map_url)
    entry = map_page.locator(f"#claim-{far.pk}")
    expect(entry).to_contain_text("Unsupported")

    # The author links their evidence to it from the card on their own article.
    _, picker = open_picker(page, live_server, article, evidence)
    choice = picker.get_by_role("form", name="Sanctions have failed")
    choice.get_by_role("radio", name="Refutes").check()
    choice.get_by_role("button", name="Link").click()
    card = page.locator(f"#annotation-{evidence.pk}")
    expect(card).to_contain_text("Refutes: “Sanctions have failed”")

    map_page.reload()
    against = entry.get_by_role("region", name="Evidence against")
    expect(against).to_contain_text("Exports fell by a third.")
    expect(against).to_contain_text("in The deal")
    expect(entry).not_to_contain_text("Unsupported")

    # And when the author removes it, it leaves the map as soon.
    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name=re.compile("^Remove link to claim")).click()
    expect(card).not_to_contain_text("Refutes:")
    map_page.reload()
    expect(entry).to_contain_text("Unsupported")
    expect(entry).not_to_contain_text("Exports fell by a third.")
    anonymous.close()
