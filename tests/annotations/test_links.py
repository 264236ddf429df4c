import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from annotations import links
from annotations.models import JUSTIFICATION_MAX_LENGTH, EvidenceLink, Reply
from articles.models import Article
from tests.factories import make_annotation, make_article, make_user

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
P2 = "The Kremlin’s offer is simple — and, some say, a trap."
P3 = "Sanctions cost Russia 2.1 per cent of growth in 2023. Exports fell by a third."
P4 = "Critics argue the deal “rewards aggression”. Supporters call it realism."


@pytest.fixture
def article():
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
def elsewhere():
    return make_article(
        "Sanctions at work",
        slug="sanctions-at-work",
        blocks=[("paragraph", "Sanctions have failed to dent Russia’s economy at all.")],
    )


@pytest.fixture
def reader(client):
    user = make_user("reader", first_name="Rea")
    client.force_login(user)
    return user


@pytest.fixture
def claimant():
    return make_user("claimant", first_name="Cleo")


@pytest.fixture
def evidence(article, reader):
    # "Exports fell by a third." in ¶3
    return make_annotation(article, reader, block=3, start=54, end=78, label="evidence")


@pytest.fixture
def claim(article, claimant):
    # "Kremlin’s offer is simple" in ¶2
    return make_annotation(article, claimant, block=2, start=4, end=29, label="claim")


@pytest.fixture
def far_claim(elsewhere, claimant):
    # "Sanctions have failed" in another article
    return make_annotation(elsewhere, claimant, block=1, start=0, end=21, label="claim")


def link_url(evidence):
    return f"/annotations/{evidence.pk}/link/"


def link_data(claim, relation="supports", justification=""):
    return {"claim": claim.pk, "relation": relation, "justification": justification}


def post_link(client, evidence, data):
    return client.post(link_url(evidence), data, headers=HTMX)


def activity(article):
    return Article.objects.get(pk=article.pk).activity


# ---- Linking ----


@pytest.mark.parametrize("relation", ["supports", "refutes", "qualifies"])
def test_it_links_evidence_to_a_claim_in_the_same_article(
    client, article, evidence, claim, relation
):
    before = activity(article)
    response = post_link(client, evidence, link_data(claim, relation, "The export figures."))
    assert response.status_code == 200
    link = EvidenceLink.objects.get()
    assert (link.evidence, link.claim, link.relation, link.justification, link.author) == (
        evidence,
        claim,
        relation,
        "The export figures.",
        evidence.author,
    )
    assert "linkCreated" in response["HX-Trigger"]
    html = response.content.decode()
    # The margin comes back out of band, both cards showing the link.
    assert 'id="margin-body" class="margin__body" hx-swap-oob="true"' in html
    assert f"{relation.capitalize()}:" in html
    counts = {"supports": (1, 0, 0), "refutes": (0, 1, 0), "qualifies": (0, 0, 1)}[relation]
    assert "Supported by {} · Refuted by {} · Qualified by {}".format(*counts) in html
    assert activity(article) > before


def test_it_links_evidence_to_a_claim_in_another_article(
    client, article, elsewhere, evidence, far_claim
):
    before, before_elsewhere = activity(article), activity(elsewhere)
    response = post_link(client, evidence, link_data(far_claim, "refutes"))
    assert response.status_code == 200
    link = EvidenceLink.objects.get()
    assert (link.claim, link.relation) == (far_claim, "refutes")
    html = response.content.decode()
    # The evidence's own margin, naming the other article.
    assert f'id="annotation-{evidence.pk}"' in html
    assert "Refutes:" in html and "in “Sanctions at work”" in html
    assert activity(article) > before
    assert activity(elsewhere) > before_elsewhere

    page = client.get(elsewhere.get_absolute_url()).content.decode()
    assert "Supported by 0 · Refuted by 1 · Qualified by 0" in page
    assert "Exports fell by a third." in page
    assert "in “The deal”" in page


def test_without_htmx_it_redirects_to_the_evidence(client, evidence, claim):
    response = client.post(link_url(evidence), link_data(claim))
    assert response.status_code == 302
    assert response["Location"] == evidence.get_absolute_url()
    assert EvidenceLink.objects.count() == 1


def test_from_the_pickers_own_page_htmx_is_sent_to_the_evidence(client, evidence, claim):
    headers = {**HTMX, "HX-Current-URL": f"http://testserver{link_url(evidence)}?q=kremlin"}
    response = client.post(link_url(evidence), link_data(claim), headers=headers)
    assert response.status_code == 200
    assert response["HX-Redirect"] == evidence.get_absolute_url()
    assert EvidenceLink.objects.count() == 1


def test_the_claim_card_counts_and_lists_the_evidence(client, article, evidence, claim):
    post_link(client, evidence, link_data(claim, "supports", "Trade data."))
    html = client.get(article.get_absolute_url()).content.decode()
    assert "Supported by 1 · Refuted by 0 · Qualified by 0" in html
    assert "“Exports fell by a third.”" in html
    assert f'href="{evidence.get_absolute_url()}"' in html
    assert "Trade data." in html
    assert "Rea" in html  # the evidence's author


def test_the_evidence_card_shows_the_claim_it_bears_on(client, article, evidence, claim):
    post_link(client, evidence, link_data(claim, "qualifies"))
    html = client.get(article.get_absolute_url()).content.decode()
    card = html[html.index(f'id="annotation-{evidence.pk}"') :]
    assert "Qualifies:" in card
    assert "“Kremlin’s offer is simple”" in card
    assert f'href="{claim.get_absolute_url()}"' in card


def test_a_claim_without_evidence_shows_no_counts(client, article, claim):
    html = client.get(article.get_absolute_url()).content.decode()
    assert "Supported by" not in html


def test_user_text_is_escaped(client, article, evidence, claim):
    post_link(client, evidence, link_data(claim, justification="<script>alert(1)</script>"))
    for url in [article.get_absolute_url(), f"/articles/{article.slug}/map/"]:
        html = client.get(url).content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<script>alert(1)" not in html


# ---- What is refused ----


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"claim": ""}, "That claim no longer exists."),
        ({"claim": "abc"}, "That claim no longer exists."),
        ({"claim": 999_999}, "That claim no longer exists."),
        ({"relation": ""}, "Choose Supports, Refutes or Qualifies."),
        ({"relation": "proves"}, "Choose Supports, Refutes or Qualifies."),
        (
            {"justification": "x" * (JUSTIFICATION_MAX_LENGTH + 1)},
            f"Keep the justification to {JUSTIFICATION_MAX_LENGTH} characters or fewer.",
        ),
    ],
)
def test_it_refuses_bad_input_and_stores_nothing(client, evidence, claim, change, message):
    response = post_link(client, evidence, {**link_data(claim), **change})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'role="alert"' in html
    assert message in html
    assert EvidenceLink.objects.count() == 0


def test_a_justification_at_the_limit_is_fine(client, evidence, claim):
    text = "x" * JUSTIFICATION_MAX_LENGTH
    assert post_link(client, evidence, link_data(claim, justification=text)).status_code == 200
    assert EvidenceLink.objects.get().justification == text


def test_it_keeps_what_was_typed_when_it_refuses(client, evidence, claim):
    response = post_link(client, evidence, link_data(claim, "proves", "Trade data."))
    html = response.content.decode()
    assert f'id="link-choice-{evidence.pk}-{claim.pk}"' in html
    assert 'value="Trade data."' in html
    assert 'name="relation"' in html


def test_it_refuses_a_link_to_something_that_is_not_a_claim(client, article, evidence, claimant):
    opinion = make_annotation(article, claimant, block=4, start=0, end=13, label="opinion")
    other_evidence = make_annotation(article, claimant, block=4, start=0, end=6, label="evidence")
    for target in [opinion, other_evidence]:
        response = post_link(client, evidence, link_data(target))
        assert response.status_code == 422
        assert "You can only link evidence to a claim." in response.content.decode()
    assert EvidenceLink.objects.count() == 0


def test_it_refuses_a_link_to_itself(client, evidence):
    response = post_link(client, evidence, link_data(evidence))
    assert response.status_code == 422
    assert "Evidence can’t be linked to itself" in response.content.decode()
    assert EvidenceLink.objects.count() == 0


def test_it_refuses_a_claim_on_a_draft_article(client, evidence, claimant):
    draft = make_article(status=Article.Status.DRAFT)
    hidden = make_annotation(draft, claimant, block=2, label="claim")
    response = post_link(client, evidence, link_data(hidden))
    assert response.status_code == 422
    assert "That claim no longer exists." in response.content.decode()
    assert EvidenceLink.objects.count() == 0


def test_it_refuses_a_second_link_to_the_same_claim(client, evidence, claim):
    assert post_link(client, evidence, link_data(claim, "supports")).status_code == 200
    response = post_link(client, evidence, link_data(claim, "refutes"))
    assert response.status_code == 422
    assert "This evidence is already linked to that claim." in response.content.decode()
    assert EvidenceLink.objects.get().relation == "supports"


def test_a_double_click_race_stores_one_link(client, evidence, claim, monkeypatch):
    post_link(client, evidence, link_data(claim))
    # The second request checked before the first one stored its link: the database decides.
    monkeypatch.setattr(links.LinkForm, "clean", lambda form: form.cleaned_data)
    response = post_link(client, evidence, link_data(claim))
    assert response.status_code == 422
    assert "This evidence is already linked to that claim." in response.content.decode()
    assert EvidenceLink.objects.count() == 1


def test_without_htmx_a_refusal_is_a_page_with_the_message(client, evidence, claim):
    response = client.post(link_url(evidence), link_data(claim, "proves"))
    assert response.status_code == 422
    html = response.content.decode()
    assert "<!doctype html>" in html
    assert 'role="alert">Choose Supports, Refutes or Qualifies.' in html
    assert EvidenceLink.objects.count() == 0


def test_someone_elses_evidence_looks_missing(client, article, reader, claimant, claim):
    theirs = make_annotation(article, claimant, block=3, start=0, end=9, label="evidence")
    assert client.get(link_url(theirs)).status_code == 404
    assert post_link(client, theirs, link_data(claim)).status_code == 404
    assert EvidenceLink.objects.count() == 0


def test_only_evidence_can_be_linked(client, article, reader, claim):
    my_claim = make_annotation(article, reader, block=4, start=0, end=13, label="claim")
    assert client.get(link_url(my_claim)).status_code == 404
    assert post_link(client, my_claim, link_data(claim)).status_code == 404
    assert EvidenceLink.objects.count() == 0


def test_an_anonymous_reader_is_sent_to_sign_in(client, evidence, claim):
    client.logout()
    response = client.post(link_url(evidence), link_data(claim))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert EvidenceLink.objects.count() == 0


# ---- Removing ----


def make_link(evidence, claim, relation="supports"):
    return EvidenceLink.objects.create(
        evidence=evidence, claim=claim, relation=relation, author=evidence.author
    )


def test_the_author_removes_a_link(client, article, evidence, claim):
    link = make_link(evidence, claim)
    before = activity(article)
    response = client.post(f"/links/{link.pk}/delete/", {"card": evidence.pk}, headers=HTMX)
    assert response.status_code == 200
    assert not EvidenceLink.objects.exists()
    assert "linkDeleted" in response["HX-Trigger"]
    html = response.content.decode()
    assert 'id="margin-body" class="margin__body" hx-swap-oob="true"' in html
    assert "Supported by" not in html
    assert activity(article) > before


def test_removing_from_a_claim_card_returns_that_articles_margin(
    client, elsewhere, evidence, far_claim
):
    link = make_link(evidence, far_claim, "refutes")
    response = client.post(f"/links/{link.pk}/delete/", {"card": far_claim.pk}, headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="annotation-{far_claim.pk}"' in html
    assert f'id="annotation-{evidence.pk}"' not in html
    assert not EvidenceLink.objects.exists()


def test_without_htmx_removing_redirects_to_the_card(client, evidence, claim):
    link = make_link(evidence, claim)
    response = client.post(f"/links/{link.pk}/delete/", {"card": evidence.pk})
    assert response.status_code == 302
    assert response["Location"] == evidence.get_absolute_url()


def test_someone_elses_link_looks_missing(client, article, reader, claimant, claim):
    theirs = make_annotation(article, claimant, block=3, start=0, end=9, label="evidence")
    link = make_link(theirs, claim)
    response = client.post(f"/links/{link.pk}/delete/", {"card": claim.pk}, headers=HTMX)
    assert response.status_code == 404
    assert EvidenceLink.objects.filter(pk=link.pk).exists()


def test_removing_needs_a_post(client, evidence, claim):
    link = make_link(evidence, claim)
    assert client.get(f"/links/{link.pk}/delete/").status_code == 405
    assert EvidenceLink.objects.exists()


def test_the_remove_button_is_only_on_the_authors_cards(client, article, evidence, claim):
    link = make_link(evidence, claim)
    html = client.get(article.get_absolute_url()).content.decode()
    assert 'Remove<span class="visually-hidden"> link to claim on ¶2</span>' in html
    assert 'Remove<span class="visually-hidden"> link from evidence on ¶3</span>' in html
    client.force_login(make_user("bystander"))
    html = client.get(article.get_absolute_url()).content.decode()
    assert "Supported by 1" in html
    assert f"/links/{link.pk}/delete/" not in html


# ---- The picker ----


def test_the_link_button_is_on_my_evidence_only(client, article, evidence, claim, claimant):
    theirs = make_annotation(article, claimant, block=4, start=0, end=7, label="evidence")
    html = client.get(article.get_absolute_url()).content.decode()
    assert f'hx-get="{link_url(evidence)}"' in html
    assert f'hx-target="#annotation-{evidence.pk}-link-slot"' in html
    assert f'id="annotation-{evidence.pk}-link-slot"' in html
    assert link_url(theirs) not in html
    assert link_url(claim) not in html


def test_the_picker_lists_claims_of_this_article_first(
    client, article, elsewhere, evidence, claim, far_claim, claimant
):
    make_annotation(article, claimant, block=4, start=0, end=13, label="opinion")
    response = client.get(link_url(evidence))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<!doctype html>" in html
    assert html.index("Kremlin’s offer is simple") < html.index("Sanctions have failed")
    assert "This article" in html and "Sanctions at work" in html
    assert "¶2" in html and "¶1" in html
    assert "Critics argue" not in html  # an opinion
    assert "Exports fell by a third.</blockquote>" in html  # only as the evidence itself
    assert html.count('name="relation" value="refutes"') == 2
    assert '>Justification <span class="muted">(optional)</span></label>' in html
    assert '<button type="submit" class="button button--small">Link</button>' in html


def test_the_picker_is_a_fragment_for_htmx(client, evidence, claim):
    response = client.get(link_url(evidence), headers=HTMX)
    html = response.content.decode()
    assert "<!doctype html>" not in html
    assert f'id="annotation-{evidence.pk}-link-picker"' in html
    assert 'hx-trigger="input changed delay:300ms, search"' in html
    assert '<button type="submit" class="button button--small">Search</button>' in html


def test_the_picker_searches_quotes_and_article_titles(
    client, evidence, claim, far_claim, elsewhere
):
    html = client.get(link_url(evidence), {"q": "kremlin"}).content.decode()
    assert "Kremlin’s offer is simple" in html
    assert "Sanctions have failed" not in html

    html = client.get(link_url(evidence), {"q": "AT WORK"}).content.decode()
    assert "Kremlin’s offer is simple" not in html
    assert "Sanctions have failed" in html

    # The search box asks for the results alone.
    response = client.get(
        link_url(evidence),
        {"q": "nothing like this"},
        headers={**HTMX, "HX-Target": f"link-results-{evidence.pk}"},
    )
    html = response.content.decode()
    assert html.lstrip().startswith(
        f'<div class="link-picker__results" id="link-results-{evidence.pk}"'
    )
    assert "No claims match “nothing like this”." in html


def test_the_picker_says_where_a_link_exists_already(client, evidence, claim):
    make_link(evidence, claim, "refutes")
    html = client.get(link_url(evidence)).content.decode()
    assert "Already linked: this evidence refutes it." in html
    assert 'name="relation"' not in html


# ---- The debate map ----


def map_url(article):
    return f"/articles/{article.slug}/map/"


def test_the_debate_map_lists_claims_by_paragraph_with_their_evidence(
    client, article, elsewhere, evidence, claim, far_claim, claimant, reader
):
    late_claim = make_annotation(article, claimant, block=4, start=0, end=13, label="claim")
    foreign = make_annotation(elsewhere, reader, block=1, start=30, end=38, label="evidence")
    make_link(evidence, claim, "supports")
    make_link(foreign, claim, "qualifies")
    opinion = make_annotation(article, claimant, block=4, start=14, end=44, label="opinion")
    loose = make_annotation(article, claimant, block=3, start=0, end=9, label="evidence")
    for stance, deleted in [
        ("agree", False),
        ("agree", False),
        ("disagree", False),
        ("question", False),
        ("", False),
        ("agree", True),
    ]:
        Reply.objects.create(
            annotation=claim, author=reader, body="…", stance=stance, deleted=deleted
        )

    response = client.get(map_url(article))
    assert response.status_code == 200
    html = response.content.decode()
    claims_part, rest = html.split('id="map-opinions"')
    # ¶2 (Kremlin claim) before ¶4 (Critics claim), each under its paragraph heading.
    assert claims_part.index("¶2</a>") < claims_part.index("Kremlin’s offer is simple")
    assert claims_part.index("Kremlin’s offer is simple") < claims_part.index("¶4</a>")
    assert claims_part.index("¶4</a>") < claims_part.index(late_claim.exact)
    # Evidence under its claim, for and qualifying, the foreign one naming its article.
    kremlin = claims_part[
        claims_part.index(f'id="claim-{claim.pk}"') : claims_part.index(
            f'id="claim-{late_claim.pk}"'
        )
    ]
    assert "“Exports fell by a third.”" in kremlin
    assert "“Russia’s”" in kremlin and "in <cite>Sanctions at work</cite>" in kremlin
    assert "2 agree · 1 disagree · 1 question" in kremlin
    assert "5 replies" in kremlin
    assert "Unsupported" not in kremlin
    assert f'href="{evidence.get_absolute_url()}"' in kremlin
    # The claim with no evidence is flagged in words.
    late = claims_part[claims_part.index(f'id="claim-{late_claim.pk}"') :]
    assert "Unsupported" in late
    assert "1 unsupported" in html
    # Opinions apart; unlinked evidence in its own small section.
    # (The ¶ headings quote the paragraphs: look for the permalinks.)
    opinion_link, loose_link = (f'href="{a.get_absolute_url()}"' for a in [opinion, loose])
    assert opinion_link not in claims_part and opinion_link in rest
    assert "Unlinked evidence" in rest and loose_link in rest and loose_link not in claims_part
    assert f'href="{evidence.get_absolute_url()}"' not in rest  # linked, so not "unlinked"


def test_the_debate_map_lists_evidence_used_only_in_other_articles(
    client, article, evidence, far_claim
):
    make_link(evidence, far_claim, "refutes")
    html = client.get(map_url(article)).content.decode()
    assert "Evidence for claims in other articles" in html
    assert "Refutes:" in html and "Sanctions have failed" in html
    assert "Unlinked evidence" not in html


def test_the_debate_map_of_a_draft_is_missing(client, reader):
    draft = make_article(status=Article.Status.DRAFT)
    assert client.get(map_url(draft)).status_code == 404
    assert client.get("/articles/no-such-article/map/").status_code == 404


def test_anyone_may_read_a_debate_map(client, article, claim):
    client.logout()
    html = client.get(map_url(article)).content.decode()
    assert "Kremlin’s offer is simple" in html
    assert "No replies yet" in html


# ---- The map anonymous readers share ----


@pytest.fixture
def anonymous():
    return Client()


def map_of(client, article) -> str:
    """The map itself, without the page around it (whose CSRF token changes per request)."""
    html = client.get(map_url(article)).content.decode()
    return html[html.index("<main") : html.index("</main>")]


def claim_entry(html: str, claim) -> str:
    start = html.index('<article class="map-claim')
    start = html.index(f'id="claim-{claim.pk}"', start)
    return html[start : html.index("</article>", start)]


def test_anonymous_readers_share_one_rendering_of_the_map(
    anonymous, article, evidence, claim, django_assert_num_queries
):
    make_link(evidence, claim)
    first = map_of(anonymous, article)
    assert "Exports fell by a third." in claim_entry(first, claim)
    # Only the article is read: the map is the one the first reader had rendered.
    with django_assert_num_queries(1):
        assert map_of(anonymous, article) == first
    # The page around it is each reader's own: its sign-in link comes back to the map.
    assert "?next=/articles/the-deal/map/" in anonymous.get(map_url(article)).content.decode()
    # A curator's edit moves the article's version, not its activity: the map follows too.
    article.title = "The deal, revisited"
    article.save(update_fields=["title"])
    article.bump_version()
    assert '<h1 class="page-title">The deal, revisited</h1>' in map_of(anonymous, article)


def test_an_anonymous_reader_sees_a_new_link_at_once_and_its_removal(
    client, anonymous, article, evidence, claim
):
    assert "Unsupported" in claim_entry(map_of(anonymous, article), claim)
    post_link(client, evidence, link_data(claim, "refutes", "The export figures."))
    entry = claim_entry(map_of(anonymous, article), claim)
    assert "Unsupported" not in entry
    assert "Exports fell by a third." in entry and "The export figures." in entry
    link = EvidenceLink.objects.get()
    client.post(f"/links/{link.pk}/delete/", {"card": evidence.pk}, headers=HTMX)
    entry = claim_entry(map_of(anonymous, article), claim)
    assert "Unsupported" in entry and "Exports fell by a third." not in entry


@pytest.mark.parametrize("card", ["evidence", "claim"])
def test_a_link_made_from_another_article_shows_on_the_map_at_once(
    client, anonymous, article, elsewhere, reader, claim, card
):
    # "dent Russia’s economy", in the other article
    foreign = make_annotation(elsewhere, reader, block=1, start=25, end=46, label="evidence")
    assert "dent Russia’s economy" not in map_of(anonymous, article)
    post_link(client, foreign, link_data(claim, "qualifies"))
    entry = claim_entry(map_of(anonymous, article), claim)
    assert "dent Russia’s economy" in entry and "in <cite>Sanctions at work</cite>" in entry
    assert "Evidence for claims in other articles" in map_of(anonymous, elsewhere)
    # Removed from either card, it leaves both maps.
    link = EvidenceLink.objects.get()
    client.post(f"/links/{link.pk}/delete/", {"card": getattr(link, f"{card}_id")}, headers=HTMX)
    assert "dent Russia’s economy" not in map_of(anonymous, article)
    assert "Evidence for claims in other articles" not in map_of(anonymous, elsewhere)


def test_evidence_for_a_claim_elsewhere_shows_on_both_maps_at_once(
    client, anonymous, article, elsewhere, evidence, far_claim
):
    here, there = map_of(anonymous, article), map_of(anonymous, elsewhere)
    assert "Evidence for claims in other articles" not in here
    assert "Exports fell by a third." not in claim_entry(there, far_claim)
    post_link(client, evidence, link_data(far_claim, "refutes"))
    assert "Evidence for claims in other articles" in map_of(anonymous, article)
    assert "Exports fell by a third." in claim_entry(map_of(anonymous, elsewhere), far_claim)


def test_the_shared_map_follows_what_changes_in_the_articles_its_links_lead_to(
    client, anonymous, article, elsewhere, reader, claim, django_assert_num_queries
):
    foreign = make_annotation(elsewhere, reader, block=1, start=25, end=46, label="evidence")
    post_link(client, foreign, link_data(claim, "qualifies"))
    assert "in <cite>Sanctions at work</cite>" in map_of(anonymous, article)
    # The article, then the counters of the other articles its links lead to.
    with django_assert_num_queries(2):
        map_of(anonymous, article)
    before = activity(article)
    # A curator renames the other article: only its version moves.
    elsewhere.title = "Sanctions, a year on"
    elsewhere.save(update_fields=["title"])
    elsewhere.bump_version()
    assert "in <cite>Sanctions, a year on</cite>" in map_of(anonymous, article)
    # A teacher hides the evidence there, and restores it: only that article is touched.
    for hidden in [True, False]:
        foreign.hidden = hidden
        foreign.save(update_fields=["hidden", "updated"])
        elsewhere.touch()
        assert ("dent Russia’s economy" in map_of(anonymous, article)) is not hidden
    assert activity(article) == before  # the map noticed by itself
    # Its author deletes it, and the link with it: the claim's cards listed it, so deleting
    # moves the claim's article too (for the article page's shared rendering).
    foreign.remove()
    assert "dent Russia’s economy" not in map_of(anonymous, article)
    assert activity(article) > before


def test_signed_in_readers_neither_get_nor_fill_the_shared_map(
    client, anonymous, article, reader, claim
):
    # "Exports fell by a third.", a private note linked to a public claim
    mine = make_annotation(article, reader, block=3, start=54, end=78, label="evidence")
    mine.visibility = "private"
    mine.save(update_fields=["visibility"])
    post_link(client, mine, link_data(claim))
    assert "Exports fell by a third." in claim_entry(map_of(client, article), claim)
    assert "Exports fell by a third." not in claim_entry(map_of(anonymous, article), claim)
    assert "Exports fell by a third." in claim_entry(map_of(client, article), claim)


# ---- Queries ----


def queries_for(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def linked_claims(article, elsewhere, author, n, start=0):
    for i in range(start, start + n):
        claim = make_annotation(article, author, block=2 + i % 3, start=i % 5, end=6 + i % 5)
        here = make_annotation(
            article, author, block=2 + i % 3, start=i % 5, end=8, label="evidence"
        )
        there = make_annotation(elsewhere, author, block=1, start=i % 5, end=9, label="evidence")
        make_link(here, claim, ["supports", "refutes", "qualifies"][i % 3])
        make_link(there, claim, "refutes")
        Reply.objects.create(annotation=claim, author=author, body="…", stance="agree")


def test_the_map_and_the_article_take_constant_queries(client, article, elsewhere, reader):
    linked_claims(article, elsewhere, reader, 1)
    make_annotation(article, reader, block=4, start=0, end=7, label="opinion")
    urls = [map_url(article), article.get_absolute_url()]
    one = [queries_for(client, url) for url in urls]
    linked_claims(article, elsewhere, make_user(), 29, start=1)
    assert [queries_for(client, url) for url in urls] == one


# ---- Other articles see the change at once ----


@pytest.mark.parametrize("change", ["delete", "hide"])
def test_an_anonymous_reader_of_the_claim_sees_its_far_evidence_go_at_once(
    client, article, elsewhere, evidence, far_claim, change
):
    """The claim's article is rendered once for every anonymous reader: deleting or hiding
    the evidence, in another article, must move that article's counter too."""
    from classrooms.models import Classroom, Membership
    from classrooms.moderation import _decide

    make_link(evidence, far_claim)
    anonymous = Client()
    assert "Exports fell by a third" in anonymous.get(elsewhere.get_absolute_url()).content.decode()
    if change == "delete":
        evidence.remove()
    else:
        classroom = Classroom.objects.create(name="9B")
        teacher = make_user()
        classroom.add_member(teacher, Membership.Role.TEACHER)
        _decide(teacher, evidence, None, "hide")
    assert (
        "Exports fell by a third"
        not in anonymous.get(elsewhere.get_absolute_url()).content.decode()
    )
