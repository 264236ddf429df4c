"""The admin's "Import article": paste or upload, preview and correct, save as a draft."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile

from articles.extraction import MAX_BYTES
from articles.models import Article
from tests.factories import make_article, make_user

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent / "fixtures"
IMPORT = "/admin/articles/article/import/"
PREVIEW = "/admin/articles/article/import/preview/"

PASTE = """Skip to content
Menu

Night trains are back, slowly

Europe's sleeper services are returning after decades of decline, but tickets are scarce.

By Marta Nowak
• 14 Jan · 4 min read

Share
Facebook

The first new sleeper route in a generation left Brussels on a Monday with every berth sold.

Operators say demand is far ahead of supply: the real constraint is rolling stock.

Photo: A sleeper carriage at Brussels-Midi

What stands in the way

Track charges in some countries make a night train cost twice as much to run as a day train.

Read also: The return of the Vienna to Paris sleeper

Until that changes, most new routes will depend on public subsidy.
"""


@pytest.fixture
def curator(client):
    user = make_user("curator", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def preview_data(response):
    """What the preview form posts back untouched: its fields and every line's state."""
    fields, rows = response.context["fields"], response.context["rows"]
    data = {name: fields[name].value() or "" for name in fields.fields}
    data.update({f.html_name: f.value() for f in rows.management_form})
    for form in rows.forms:
        for name in ("kind", "text", "reason"):
            data[form[name].html_name] = form[name].value()
        if form["include"].value():
            data[form["include"].html_name] = "on"
    return data


def line(data, text):
    """The form prefix ("rows-3") of the line whose text starts with `text`."""
    for key, value in data.items():
        if key.endswith("-text") and value.startswith(text):
            return key.removesuffix("-text")
    raise AssertionError(f"no line starting {text!r}")


def test_it_previews_a_paste_then_saves_the_corrected_draft(client, curator):
    response = client.post(IMPORT, {"text": PASTE})
    assert response.status_code == 200
    html = response.content.decode()
    # The detected fields, ready to correct.
    assert 'value="Night trains are back, slowly"' in html
    assert "Europe&#x27;s sleeper services are returning" in html
    assert 'value="Marta Nowak"' in html
    assert 'name="published_day" value="14"' in html
    assert '<option value="1" selected>January</option>' in html
    assert 'name="published_year"' in html and 'name="published_year" value=' not in html
    # The blocks, then everything left out, each with its reason.
    blocks, dropped = html.split('id="import-dropped"')
    assert "What stands in the way</strong>" in blocks
    assert "The first new sleeper route" in blocks
    for text, reason in [
        ("Skip to content", "page chrome"),
        ("By Marta Nowak", "byline"),
        ("• 14 Jan · 4 min read", "metadata"),
        ("Photo: A sleeper carriage at Brussels-Midi", "caption"),
        ("Read also: The return of the Vienna to Paris sleeper", "related link"),
    ]:
        assert text in dropped and reason in dropped
        assert text not in blocks
    assert Article.objects.count() == 0  # nothing saved by a preview

    data = preview_data(response)
    data["title"] = "Night trains are back, but slowly"
    del data[line(data, "Operators say demand") + "-include"]
    data[line(data, "Until that changes") + "-kind"] = "heading"
    data[line(data, "Photo: A sleeper carriage") + "-include"] = "on"
    saved = client.post(PREVIEW, data)

    article = Article.objects.get()
    assert saved.status_code == 302
    assert saved["Location"] == f"/admin/articles/article/{article.pk}/change/"
    assert article.status == Article.Status.DRAFT
    assert article.title == "Night trains are back, but slowly"
    assert article.author == "Marta Nowak"
    assert (article.published_year, article.published_month, article.published_day) == (
        None,
        1,
        14,
    )
    assert article.import_key is None
    assert [(b.kind, b.text) for b in article.blocks.all()] == [
        (
            "paragraph",
            "The first new sleeper route in a generation left Brussels on a Monday with every "
            "berth sold.",
        ),
        ("paragraph", "Photo: A sleeper carriage at Brussels-Midi"),
        ("heading", "What stands in the way"),
        (
            "paragraph",
            "Track charges in some countries make a night train cost twice as much to run as a "
            "day train.",
        ),
        ("heading", "Until that changes, most new routes will depend on public subsidy."),
    ]
    page = client.get(saved["Location"]).content.decode()
    assert "as a draft" in page
    assert f'href="{article.get_absolute_url()}">Preview it</a>' in page


def test_it_previews_an_uploaded_html_page(client, curator):
    page = (FIXTURES / "magazine-month-first.html").read_bytes()
    response = client.post(IMPORT, {"file": SimpleUploadedFile("cafes.html", page)})
    html = response.content.decode()
    assert 'value="The quiet economics of repair cafés"' in html
    assert 'value="Li Wei"' in html
    assert 'value="Fieldwork Magazine"' in html
    assert 'value="https://fieldwork.example/essays/repair-cafes"' in html
    assert "Counting what is not sold</strong>" in html
    assert "Image credit: Fieldwork / Sam Ortiz" in html.split('id="import-dropped"')[1]

    client.post(PREVIEW, preview_data(response))
    article = Article.objects.get()
    assert article.status == Article.Status.DRAFT
    assert article.source_url == "https://fieldwork.example/essays/repair-cafes"
    assert article.published_display == "3 March 2025"
    assert [b.kind for b in article.blocks.all()].count("heading") == 2


def test_it_previews_an_uploaded_markdown_file(client, curator):
    notes = (FIXTURES / "field-notes.md").read_bytes()
    response = client.post(IMPORT, {"file": SimpleUploadedFile("notes.md", notes)})
    assert 'value="Learning to read a river"' in response.content.decode()


BAD_INPUTS = {
    "nothing": ({}, "Paste the article&#x27;s text, or choose a file to upload."),
    "blank paste": ({"text": "  \n\t "}, "the pasted text is empty"),
    "no paragraphs": ({"text": "Home\nMenu\nShare\n"}, "No article paragraphs found"),
    "empty file": ({"file": ("empty.txt", b"")}, "The submitted file is empty."),
    "binary file": ({"file": ("photo.txt", b"\x89PNG\x00\x00IHDR")}, "contains binary data"),
    "undecodable file": ({"file": ("old.txt", "naïve".encode("latin-1"))}, "is not UTF-8 text"),
    "pdf": ({"file": ("paper.pdf", b"%PDF-1.7")}, ".pdf files are not supported"),
    "docx": ({"file": ("essay.docx", b"PK\x03\x04")}, ".docx files are not supported"),
    "too big": ({"file": ("big.txt", b"a" * (MAX_BYTES + 1))}, "big.txt is larger than 2 MB."),
    "both": ({"text": PASTE, "file": ("a.txt", PASTE.encode())}, "not both"),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_is_shown_on_the_form_and_saves_nothing(client, curator, case):
    data, message = BAD_INPUTS[case]
    if "file" in data:
        name, content = data["file"]
        data = {**data, "file": SimpleUploadedFile(name, content)}
    response = client.post(IMPORT, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="errornote"' in html
    assert message in html
    assert 'id="import-article-form"' in html
    assert Article.objects.count() == 0


def test_the_form_states_the_size_limit(client, curator):
    assert "at most 2 MB" in client.get(IMPORT).content.decode()


def test_saving_revalidates_everything(client, curator):
    data = preview_data(client.post(IMPORT, {"text": PASTE}))
    bad = {
        **data,
        "title": "",
        "published_day": "30",
        "published_month": "2",
        "published_year": "2025",
    }
    for key in [k for k in bad if k.endswith("-include")]:
        del bad[key]
    response = client.post(PREVIEW, bad)
    html = response.content.decode()
    assert response.status_code == 200
    assert "This field is required." in html
    assert "February has no day 30." in html
    assert "Keep at least one paragraph." in html
    assert Article.objects.count() == 0

    tampered = {**data, line(data, "The first new sleeper") + "-kind": "script"}
    assert "Select a valid choice" in client.post(PREVIEW, tampered).content.decode()
    assert Article.objects.count() == 0


def test_a_second_save_of_the_same_article_is_refused(client, curator):
    existing = make_article("Night trains are back, slowly", slug="night-trains")
    response = client.post(IMPORT, {"text": PASTE})
    assert "already exists" in response.content.decode()  # warned before saving
    refused = client.post(PREVIEW, preview_data(response)).content.decode()
    assert "An article with this title and source already exists" in refused
    assert f'href="/admin/articles/article/{existing.pk}/change/"' in refused
    assert Article.objects.count() == 1


def test_the_preview_step_needs_a_post(client, curator):
    response = client.get(PREVIEW)
    assert response.status_code == 302 and response["Location"] == IMPORT


def test_readers_cannot_reach_the_import(client):
    client.force_login(make_user("student"))
    for url in (IMPORT, PREVIEW):
        response = client.post(url, {"text": PASTE})
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    assert Article.objects.count() == 0


def test_staff_without_the_add_permission_are_refused(client):
    client.force_login(make_user("helper", is_staff=True))
    assert client.get(IMPORT).status_code == 403
    assert client.post(PREVIEW, {"title": "x"}).status_code == 403


def test_staff_with_the_add_permission_can_import(client):
    user = make_user("editor", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="add_article"))
    client.force_login(user)
    assert client.get(IMPORT).status_code == 200
    response = client.post(IMPORT, {"text": PASTE})
    client.post(PREVIEW, preview_data(response))
    assert Article.objects.get().status == Article.Status.DRAFT


def test_hostile_text_in_the_preview_is_inert(client, curator):
    hostile = PASTE.replace(
        "What stands in the way", '<script>alert("x")</script> What stands in the way'
    ).replace("Share\n", '"><img src=x onerror=alert(1)>\n')
    html = client.post(IMPORT, {"text": hostile}).content.decode()
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "<img src=x onerror" not in html


def test_an_article_too_long_for_the_preview_is_sent_to_the_command(client, curator):
    long_text = "A very long report\n\n" + "\n\n".join(
        f"Paragraph number {n} of the report says something new and different." for n in range(240)
    )
    html = client.post(IMPORT, {"text": long_text}).content.decode()
    assert "more than the preview can show (230)" in html
    assert "import_articles" in html


def test_a_page_with_too_much_around_the_article_lists_only_part_of_it(client, curator):
    links = "".join(
        f"<li><a href='/{n}'>Another story worth reading number {n}</a></li>" for n in range(300)
    )
    page = (
        (FIXTURES / "news-byline-pipe.html")
        .read_text()
        .replace("<footer", f"<ul>{links}</ul><footer")
    )
    response = client.post(IMPORT, {"file": SimpleUploadedFile("busy.html", page.encode())})
    html = response.content.decode()
    assert "left-out lines from around the article are not listed" in html
    assert len(response.context["rows"].forms) == 230
    client.post(PREVIEW, preview_data(response))
    assert Article.objects.get().blocks.count() == 8
