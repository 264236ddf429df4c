"""The import pipeline: messy pages through the extractor and cleaner, and `import_articles`."""

import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from articles.cleaning import PartialDate
from articles.extraction import (
    MAX_BYTES,
    ImportRejected,
    draft_from_paste,
    draft_from_upload,
    extract_html,
    text_from_upload,
)
from articles.models import Article

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEEDS = settings.BASE_DIR / "seeds"


def draft_of(name):
    return draft_from_upload(name, (FIXTURES / name).read_bytes())


def kept(draft, kind=None):
    return [r.text for r in draft.rows if r.include and (kind is None or r.kind == kind)]


def reasons(draft):
    return {r.text: r.reason for r in draft.rows if not r.include}


def starts(texts):
    """The first four words of each text, enough to tell paragraphs apart in an assertion."""
    return [" ".join(t.split()[:4]) for t in texts]


# --------------------------------------------------------------------------- HTML pages

PAGES = {
    "news-byline-pipe.html": {
        "title": "Grain corridor talks stall as insurers pull out",
        "standfirst": "Shipping lines say they will not send vessels",
        "author": "Jane Doe",
        "published": PartialDate(2025, 3, 3),
        "source": "The Harbour Ledger",
        "headings": ["Why insurers walked away", "What happens next?"],
        "paragraphs": [
            "Negotiations over a renewed",
            "The decision leaves traders",
            "Underwriters point to a",
            "Governments have floated the",
            "Talks are due to",
            "For farmers, the timing",
        ],
        "junk": {
            "menu": "Business",
            "cookie banner": "We use cookies",
            "byline": "By Jane Doe | 3 March 2025",
            "share buttons": "Facebook",
            "caption": "Photo: The terminal at Odesa",
            "read also": "Wheat prices hit a two-year high",
            "newsletter": "Sign up for our free newsletter",
            "footer": "All rights reserved",
        },
    },
    "blog-published-iso.html": {
        "title": "Why the river towns voted to keep their ferries",
        "standfirst": "",
        "author": "Omar Haddad",
        "published": PartialDate(2025, 3, 3),
        "source": "",
        "headings": ["The cost of slowness"],
        "paragraphs": [
            "Four small towns on",
            "The offer came from",
            "At the public meeting",
            "None of this is",
            "The board has accepted",
        ],
        "junk": {
            "skip link": "Skip to content",
            "sidebar": "A week without a car",
            "date line": "Published: 2025-03-03",
            "reading time": "6 min read",
            "pull quote": "“A bridge would have brought traffic, not people.”",
            "read more": "Read more: How the Lesno ferry",
            "share": "Share this post",
            "comments": "my grandfather ran the Lesno ferry",
            "comment count": "3 comments",
        },
    },
    "magazine-month-first.html": {
        "title": "The quiet economics of repair cafés",
        "standfirst": "Volunteers fix toasters and trousers for free.",
        "author": "Li Wei",
        "published": PartialDate(2025, 3, 3),
        "source": "Fieldwork Magazine",
        "headings": ["Counting what is not sold", "The social return"],
        "paragraphs": [
            "On the first Saturday",
            "By early afternoon most",
            "Repair cafés are hard",
            "One group of researchers",
            "The harder number is",
            "That, the researchers argue,",
        ],
        "junk": {
            "nav": "Sign in",
            "meta line": "Li Wei · Mar 3, 2025 · 8 min read",
            "caption": "Image credit: Fieldwork / Sam Ortiz",
            "advert": "Advertisement",
            "read also": "Read also: The right to repair",
            "newsletter": "Enjoyed this essay?",
            "share": "Copy link",
            "more from": "Inside the last typewriter repair shop",
        },
    },
    "time-datetime.html": {
        "title": "Cities are planting the wrong trees",
        "standfirst": "Street trees are chosen for how they look",
        "author": "Priya Natarajan",
        "published": PartialDate(2025, 3, 3),
        "source": "",
        "headings": ["Is there a better list?", "Who decides"],
        "paragraphs": [
            "Walk down almost any",
            "Many of them will",
            "Some cities have started",
            "The new lists are",
            "In most cities the",
            "That may be the",
        ],
        "junk": {
            "promo": "Try The Civic Review for £1",
            "menu": "Podcasts",
            "time element": "Monday 3 March 2025",
            "related": "Related: The hidden cost",
            "newsletter": "Our best reporting on cities",
            "share": "Share on Facebook",
            "footer": "Registered charity",
        },
    },
    "bold-headings-partial-date.html": {
        "title": "Night buses are the city's quiet lifeline",
        "standfirst": "",
        "author": "Tomás Ruiz",
        # "Feb 27" on the page: the year is unknown, and stays unknown.
        "published": PartialDate(None, 2, 27),
        "source": "Lantern",
        "headings": ["Who rides at night", "What would help"],
        "paragraphs": [
            "After midnight the city",
            "Ridership on the night",
            "A survey of passengers",
            "Drivers tell the same",
            "Riders asked for simple",
            "None of that is",
        ],
        "junk": {
            "nav": "Newsletter",
            "byline and date": "Words: Tomás Ruiz • Feb 27 · 5 min read",
            "layout marker": "Continue reading below",
            "advert marker": "Story continues after advertisement",
            "caption": "(Photo: Lantern archive)",
            "read also": "The hospital porters",
            "share": "Share on WhatsApp",
        },
    },
}


@pytest.mark.parametrize("name", PAGES)
def test_it_finds_the_article_in_a_messy_page(name):
    expected = PAGES[name]
    draft = draft_of(name)
    assert draft.title == expected["title"]
    assert draft.standfirst.startswith(expected["standfirst"])
    assert bool(draft.standfirst) == bool(expected["standfirst"])
    assert draft.author == expected["author"]
    assert draft.published == expected["published"]
    assert draft.source == expected["source"]
    assert kept(draft, "heading") == expected["headings"]
    assert starts(kept(draft, "paragraph")) == expected["paragraphs"]


@pytest.mark.parametrize("name", PAGES)
def test_it_keeps_every_kind_of_page_junk_out_of_the_blocks(name):
    draft = draft_of(name)
    body = "\n".join(kept(draft))
    for kind, junk in PAGES[name]["junk"].items():
        assert junk not in body, kind
        if kind != "menu":  # one-word menu entries are too many to be worth listing
            # ... and lists it for the curator, with a reason.
            assert any(junk in text and reason for text, reason in reasons(draft).items()), kind


def test_it_gives_the_cleaners_reason_for_each_dropped_line():
    dropped = reasons(draft_of("news-byline-pipe.html"))
    assert dropped["By Jane Doe | 3 March 2025"] == "metadata"
    assert dropped["Photo: The terminal at Odesa stood idle for most of February."] == "caption"
    assert dropped["Facebook"] == "page chrome"
    assert dropped["Wheat prices hit a two-year high"] == "outside the article body"
    magazine = reasons(draft_of("magazine-month-first.html"))
    assert magazine["Read also: The right to repair, explained"] == "related link"
    assert magazine["Advertisement"] == "layout marker"
    blog = reasons(draft_of("blog-published-iso.html"))
    assert blog["“A bridge would have brought traffic, not people.”"] == "pull quote"


def test_it_keeps_dropped_lines_where_they_stood_so_they_can_go_back():
    texts = [r.text for r in draft_of("news-byline-pipe.html").rows]
    read_also = texts.index("Wheat prices hit a two-year high")
    assert texts[read_also - 1].startswith("The decision leaves traders")
    assert texts[read_also + 2] == "Why insurers walked away"


def test_it_trusts_the_pages_headings_over_the_shape_of_the_line():
    # "What happens next?" ends like a sentence; <h2> says it is a heading. A short line in a
    # paragraph stays a paragraph.
    draft = draft_of("news-byline-pipe.html")
    assert ("heading", "What happens next?") in draft.blocks


def test_extract_html_gives_the_cleaner_one_line_per_unit():
    html = (FIXTURES / "news-byline-pipe.html").read_text()
    lines = [line for line in extract_html(html).splitlines() if line]
    assert lines[:4] == [
        "Grain corridor talks stall as insurers pull out",
        "Shipping lines say they will not send vessels through the Black Sea until underwriters "
        "return, leaving millions of tonnes of wheat stuck in port.",
        "By Jane Doe",
        "Published: 2025-03-03",
    ]
    assert "Why insurers walked away" in lines
    assert not any("<" in line for line in lines)


def test_it_reads_a_page_the_extractor_finds_too_short():
    html = "<html><body><h1>Short note</h1><p>Only one small paragraph here.</p></body></html>"
    draft = draft_from_upload("note.html", html.encode())
    assert draft.title == "Short note"
    assert draft.blocks == [("paragraph", "Only one small paragraph here.")]


def test_a_copyright_year_is_not_taken_for_a_publication_date():
    paragraphs = "".join(
        f"<p>Paragraph {n} of an undated article, long enough for the extractor to keep.</p>"
        for n in range(6)
    )
    html = f"<html><body><article><h1>Undated</h1>{paragraphs}</article>"
    html += "<footer>© 2023 The Site</footer></body></html>"
    assert draft_from_upload("undated.html", html.encode()).published is None


def test_it_reads_a_saved_xhtml_page_and_its_line_breaks():
    html = (
        '<?xml version="1.0" encoding="utf-8"?>\n<html><head><title>Short note | The Site'
        "</title></head><body><nav>Home</nav><h1>Short note</h1><p>One line<br/>and the next "
        "one, both in the same paragraph of this page.</p><p>A second paragraph.</p></body></html>"
    )
    draft = draft_from_upload("saved.xhtml.html", html.encode())
    assert draft.blocks == [
        ("paragraph", "One line and the next one, both in the same paragraph of this page."),
        ("paragraph", "A second paragraph."),
    ]
    assert draft.title == "Short note"


def test_it_reads_a_page_in_its_declared_legacy_encoding():
    html = (
        '<html><head><meta charset="windows-1252"><title>Café society</title></head><body>'
        "<h1>Café society</h1><p>The café on the corner has served the same coffee since 1962, "
        "and its regulars would not have it any other way.</p></body></html>"
    )
    draft = draft_from_upload("old.html", html.encode("cp1252"))
    assert draft.title == "Café society"
    assert kept(draft)[0].startswith("The café on the corner")


def test_a_pasted_html_document_is_read_as_a_page():
    html = (FIXTURES / "time-datetime.html").read_text()
    draft = draft_from_paste(html)
    assert draft.title == "Cities are planting the wrong trees"
    assert draft.author == "Priya Natarajan"


# --------------------------------------------------------------------------- Markdown and text


def test_it_strips_markdown_syntax_and_keeps_its_structure():
    draft = draft_of("field-notes.md")
    assert draft.title == "Learning to read a river"
    assert draft.standfirst.startswith("A hydrologist spends a year")
    assert draft.author == "Ana Costa"
    assert draft.published == PartialDate(2024, 11, 12)
    assert kept(draft, "heading") == [
        "What the water carries",
        "Learning the names",  # a paragraph that is all bold
        "The estuary",
    ]
    assert starts(kept(draft, "paragraph")) == [
        "The river starts as",
        "I walked it over",
        "Every river is a",
        "Farmers along the upper",
        "The Bishop's Pool, where",  # list items are paragraphs
        "The Long Slide, a",
        "At the mouth the",
    ]
    body = "\n".join(kept(draft))
    assert "a seep in a sheep field" in body and "a fifth of the county" in body
    assert "borrowed flow meter." in body
    for syntax in ("*", "#", "](", "![", ">", "<!--"):
        assert syntax not in body
    dropped = reasons(draft)
    assert dropped["Photo: Ana Costa"] == "caption"
    assert dropped["Share this article"] == "page chrome"
    assert dropped["Every river is a record of its catchment."] == "pull quote"
    assert dropped["Read also: Why rivers run brown after storms"] == "related link"
    assert dropped["Subscribe"] == "page chrome"


def test_it_cleans_a_messy_text_paste():
    draft = draft_of("messy-paste.txt")
    assert draft.title == "The small print in the housing bill"
    assert draft.standfirst.startswith("Ministers promise a million new homes.")
    assert draft.author == "Sam Okafor"
    assert draft.published == PartialDate(2025, 4, 4)
    assert kept(draft, "heading") == ["What the bill changes", "What it leaves out"]
    assert starts(kept(draft, "paragraph"))[:3] == [
        "The headline number in",
        "Read the clauses, though,",
        "Planning committees lose the",
    ]
    dropped = reasons(draft)
    assert dropped["Aerial view of a housing estate under construction beside a motorway."] == (
        "image alt text"
    )
    assert dropped["Photo: Building site near Bristol (Getty)"] == "caption"
    assert dropped["“The code is too vague to protect anything.”"] == "pull quote"
    assert dropped["Read more: Why land prices decide what gets built"] == "related link"
    assert dropped["12 comments"] == "comments"
    assert dropped["Back to top"] == "page chrome"


def test_a_text_file_reaches_the_cleaner_exactly_as_written():
    for seed in SEEDS.glob("*.txt"):
        assert text_from_upload(seed.name, seed.read_bytes()) == seed.read_text(encoding="utf-8")


def test_a_stray_control_character_is_removed_not_fatal():
    text = (FIXTURES / "messy-paste.txt").read_text().replace("housing bill", "housing\x1f bill")
    draft = draft_from_upload("stray.txt", text.encode())
    assert "\x1f" not in "".join(kept(draft)) + draft.title


def test_it_reads_utf16_text_saved_by_windows_editors():
    text = (FIXTURES / "messy-paste.txt").read_text()
    draft = draft_from_upload("notepad.txt", text.encode("utf-16"))
    assert draft.title == "The small print in the housing bill"


# --------------------------------------------------------------------------- bad input

BAD_UPLOADS = {
    "empty file": ("empty.txt", b"", "empty.txt is empty."),
    "blank file": ("blank.md", b"  \n\n \t\n", "blank.md is empty."),
    "binary": ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "contains binary data"),
    "undecodable": ("latin.txt", "Café au lait, naïve".encode("latin-1"), "is not UTF-8 text"),
    "pdf": ("paper.pdf", b"%PDF-1.7 ...", ".pdf files are not supported"),
    "docx": ("essay.docx", b"PK\x03\x04", ".docx files are not supported"),
    "no suffix": ("README", b"Hello", "without an extension are not supported"),
    "too big": ("huge.txt", b"x" * (MAX_BYTES + 1), "huge.txt is larger than 2 MB."),
    "no paragraphs": ("menu.txt", b"Home\nMenu\nSearch\nShare\n", "No article paragraphs found"),
    "title only": ("one.txt", b"Just a title", "No article paragraphs found"),
    "empty page": ("blank.html", b"<html><body><nav>Home</nav></body></html>", "No article"),
}


@pytest.mark.parametrize("case", BAD_UPLOADS)
def test_it_rejects_bad_input_with_a_clear_message(case):
    name, data, message = BAD_UPLOADS[case]
    with pytest.raises(ImportRejected) as rejected:
        draft_from_upload(name, data)
    assert message in str(rejected.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("   \n ", "the pasted text is empty"),
        ("Title\n\x00\x01\x02binary", "binary data"),
        ("Home\nShare\nSubscribe", "No article paragraphs found in the pasted text"),
    ],
)
def test_it_rejects_a_bad_paste(text, message):
    with pytest.raises(ImportRejected, match=message):
        draft_from_paste(text)


# --------------------------------------------------------------------------- import_articles


def snapshot():
    return [
        (
            a.import_key,
            a.slug,
            a.title,
            a.status,
            a.author,
            a.updated,
            [(b.position, b.kind, b.text, b.pk) for b in a.blocks.order_by("position")],
        )
        for a in Article.objects.order_by("import_key")
    ]


@pytest.fixture
def folder(tmp_path):
    """A copy of the fixtures, with things a real folder holds that are not articles."""
    folder = tmp_path / "incoming"
    shutil.copytree(FIXTURES, folder)
    (folder / "cover.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    return folder


def run(*args):
    """Run import_articles; returns (stdout lines, stderr lines)."""
    out, err = _Capture(), _Capture()
    call_command("import_articles", *args, stdout=out, stderr=err)
    return out.lines, err.lines


class _Capture:
    def __init__(self):
        self.lines = []

    def write(self, text):
        self.lines.extend(line for line in text.splitlines() if line)

    def flush(self):
        pass


@pytest.mark.django_db
def test_it_imports_a_folder_as_drafts_and_says_what_it_did(folder):
    out, err = run(folder)
    assert err == []
    assert len(out) == 7 and all(line.split()[0] == "created" for line in out)
    assert Article.objects.count() == 7
    assert set(Article.objects.values_list("status", flat=True)) == {"draft"}
    news = Article.objects.get(title="Grain corridor talks stall as insurers pull out")
    assert news.import_key == (folder / "news-byline-pipe.html").resolve().as_posix()
    assert news.author == "Jane Doe"
    assert news.source_name == "The Harbour Ledger"
    assert news.published_display == "3 March 2025"
    assert [b.kind for b in news.blocks.all()].count("heading") == 2


@pytest.mark.django_db
def test_it_changes_and_duplicates_nothing_when_run_twice(folder):
    run(folder)
    first = snapshot()
    out, _ = run(folder)
    assert snapshot() == first
    assert all(line.split()[0] == "unchanged" for line in out)


@pytest.mark.django_db
def test_it_updates_the_article_when_its_file_changes(folder):
    page = folder / "time-datetime.html"
    run(page)
    page.write_text(page.read_text().replace("Who decides", "Who gets to decide"))
    out, _ = run(page)
    assert out[0].split()[0] == "updated"
    article = Article.objects.get()
    assert ("heading", "Who gets to decide") in [(b.kind, b.text) for b in article.blocks.all()]


@pytest.mark.django_db
def test_publish_publishes_new_articles(folder):
    run("--publish", folder / "field-notes.md")
    assert Article.objects.get().status == Article.Status.PUBLISHED


@pytest.mark.django_db
def test_a_copy_of_an_imported_article_is_skipped_not_duplicated(folder):
    run(folder / "news-byline-pipe.html")
    copy = folder / "copy-of-news.html"
    shutil.copy(folder / "news-byline-pipe.html", copy)
    out, err = run(copy)
    assert out[0].split()[0] == "skipped" and "already imported" in out[0]
    assert err == []
    assert Article.objects.count() == 1


@pytest.mark.django_db
def test_it_reports_each_bad_file_imports_the_rest_and_fails(folder):
    (folder / "notes.pdf").write_bytes(b"%PDF-1.7")
    (folder / "empty.md").write_bytes(b"")
    with pytest.raises(CommandError, match="3 of 4 file") as failed:
        run(
            folder / "notes.pdf",
            folder / "empty.md",
            folder / "gone.txt",
            folder / "field-notes.md",
        )
    assert failed.value.returncode == 1
    assert Article.objects.get().title == "Learning to read a river"


@pytest.mark.django_db
def test_it_names_the_problem_with_each_bad_file(folder):
    (folder / "notes.pdf").write_bytes(b"%PDF-1.7")
    err = _Capture()
    with pytest.raises(CommandError):
        call_command("import_articles", folder / "notes.pdf", folder / "gone", stderr=err)
    assert [line.split()[0] for line in err.lines] == ["error", "error"]
    assert ".pdf files are not supported" in err.lines[0]
    assert "no such file or folder" in err.lines[1]
    assert Article.objects.count() == 0


@pytest.mark.django_db
def test_an_empty_folder_is_an_error(tmp_path):
    with pytest.raises(CommandError):
        run(tmp_path)


@pytest.mark.django_db
def test_import_seeds_and_import_articles_agree_on_the_seeds():
    call_command("import_seeds")
    first = snapshot()
    assert {a[0] for a in first} == {
        "seeds/can-trump-do-a-deal.txt",
        "seeds/putin-deal-with-trump.txt",
    }
    out, _ = run("--publish", SEEDS)
    assert all(line.split()[0] == "unchanged" for line in out)
    assert snapshot() == first
