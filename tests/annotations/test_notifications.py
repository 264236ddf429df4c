import pytest

from annotations.models import Notification
from tests.factories import make_annotation, make_article, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim():
    return make_annotation(make_article(slug="n"), make_user("claimant", first_name="Cla"))


def test_a_reply_notifies_the_highlight_author_and_the_person_answered(claim):
    asker = make_user("asker", first_name="Ask")
    question = claim.reply(asker, "Source?", "question")
    claim.reply(make_user("answerer", first_name="Ans"), "Reuters.", parent=question)
    assert sorted(n.recipient.username for n in Notification.objects.all()) == [
        "asker",
        "claimant",
        "claimant",
    ]
    # Nobody is told about their own words.
    claim.reply(claim.author, "Thanks both.")
    assert Notification.objects.filter(actor=claim.author).count() == 0


def test_the_header_badge_counts_unread_and_the_inbox_lists_them(client, claim):
    claim.reply(make_user("replier", first_name="Rep"), "I **disagree**.", "disagree")
    client.force_login(claim.author)
    home = client.get("/").content.decode()
    assert '<span class="badge badge--alert">1</span><span class="visually-hidden"> unread' in home
    inbox = client.get("/notifications/").content.decode()
    assert "Rep" in inbox and "replied (disagree) on your highlight" in inbox
    assert "I disagree." in inbox  # a plain-text excerpt of the Markdown


def test_opening_one_marks_it_read_and_lands_on_the_reply(client, claim):
    reply = claim.reply(make_user("replier"), "Look here")
    notification = Notification.objects.get()
    client.force_login(claim.author)
    response = client.post(f"/notifications/{notification.pk}/read/")
    assert response["Location"] == f"/annotations/{claim.pk}/?reply={reply.pk}"
    landing = client.get(response["Location"])
    assert landing["Location"].endswith(f"?thread={claim.pk}#reply-{reply.pk}")
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert "badge--alert" not in client.get("/").content.decode()


def test_mark_all_read(client, claim):
    for n in range(3):
        claim.reply(make_user(), f"reply {n}")
    client.force_login(claim.author)
    client.post("/notifications/read-all/")
    assert Notification.objects.unread().count() == 0


def test_someone_elses_notification_looks_missing(client, claim):
    claim.reply(make_user("replier"), "Private words for the claimant")
    client.force_login(make_user("nosy"))
    notification = Notification.objects.get()
    assert client.post(f"/notifications/{notification.pk}/read/").status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None
    assert "Private words" not in client.get("/notifications/").content.decode()


def test_linking_evidence_notifies_the_claims_author(client, claim):
    linker = make_user("linker", first_name="Lin")
    evidence = make_annotation(claim.article, linker, block=3, start=0, end=9, label="evidence")
    client.force_login(linker)
    client.post(
        f"/annotations/{evidence.pk}/link/",
        {"claim": claim.pk, "relation": "refutes", "justification": ""},
        headers={"HX-Request": "true"},
    )
    notification = Notification.objects.get()
    assert (notification.recipient, notification.kind) == (claim.author, "link")
    client.force_login(claim.author)
    assert "linked evidence to your claim" in client.get("/notifications/").content.decode()
