"""Fill the database with deterministic articles for `make bench` and describe them as JSON.

One class (a teacher and 30 students) reads articles carrying N annotations each, with about
two replies per annotation, evidence linked to claims and helpful votes. The same seed gives
the same rows, so runs on different days compare. Never run it against real data: it is meant
for the throwaway database the benchmark creates (it refuses a database with users in it).
"""

import json
import random
import uuid
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from django.core.management.base import BaseCommand, CommandError
from django.utils.crypto import get_random_string
from django.utils.timezone import now

from annotations.anchoring import Anchor, quote_at, sentences
from annotations.models import Annotation, EvidenceLink, HelpfulVote, Reply
from articles.models import Article
from classrooms.models import Assignment, Classroom, Membership

WORDS = [
    "sanctions",
    "growth",
    "exports",
    "evidence",
    "claim",
    "deal",
    "realism",
    "aggression",
    "critics",
    "supporters",
    "economy",
    "policy",
    "treaty",
    "border",
    "energy",
    "prices",
    "inflation",
    "market",
    "reform",
    "vote",
    "council",
    "minister",
    "report",
    "survey",
    "data",
    "study",
    "analysts",
    "argue",
    "suggest",
    "show",
    "because",
    "however",
    "although",
    "therefore",
    "meanwhile",
    "percent",
    "million",
    "billion",
    "rose",
    "fell",
    "steady",
    "sharply",
    "modest",
    "broad",
    "narrow",
    "public",
    "private",
    "trade",
    "route",
    "pipeline",
    "grain",
    "harbour",
    "coast",
    "river",
    "city",
    "region",
]
STUDENTS = 30
BLOCKS = 40
SELECTIONS = 200  # valid new selections offered to the create benchmark


def paragraph(rng: random.Random) -> str:
    sentences_ = []
    for _ in range(rng.randint(4, 6)):
        words = [rng.choice(WORDS) for _ in range(rng.randint(8, 18))]
        # A number makes every sentence unique, so quotes are never ambiguous.
        words.insert(rng.randint(1, len(words) - 1), f"{rng.randint(1, 10**6)}")
        sentences_.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences_)


def ranges_in(rng: random.Random, texts: list[str]) -> Anchor:
    """A sentence, part of one, or a run of sentences across two blocks."""
    index = rng.randrange(1, len(texts))  # block 0 is the heading
    spans = sentences(texts[index])
    first = rng.randrange(len(spans))
    start, end = spans[first]
    roll = rng.random()
    if roll < 0.05 and index + 1 < len(texts):
        return Anchor(index, start, index + 1, sentences(texts[index + 1])[0][1])
    if roll < 0.35:
        # Part of a sentence, cut at word boundaries.
        words = [i for i, c in enumerate(texts[index][start:end]) if c == " "]
        if len(words) >= 4:
            a, b = sorted(rng.sample(words, 2))
            return Anchor(index, start + a + 1, index, start + b)
    last = min(first + rng.randint(0, 1), len(spans) - 1)
    return Anchor(index, start, index, spans[last][1])


class Command(BaseCommand):
    help = "Fill an empty database with deterministic benchmark articles; print them as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--sizes", default="0,500,1500,5000")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--output", required=True, help="where to write the JSON")

    def handle(self, *args, sizes: str, seed: int, output: str, **options):
        if User.objects.exists():
            raise CommandError("make_bench_data fills an empty database only.")
        rng = random.Random(seed)  # noqa: S311 - reproducible data, not secrets
        password = make_password(get_random_string(20))
        teacher = User.objects.create(username="bench-teacher", first_name="Teacher")
        teacher.password = password
        teacher.save(update_fields=["password"])
        students = User.objects.bulk_create(
            User(username=f"bench-student-{i}", first_name=f"Student {i}", password=password)
            for i in range(1, STUDENTS + 1)
        )
        classroom = Classroom.objects.create(name="Bench class")
        Membership.objects.create(classroom=classroom, user=teacher, role="teacher", number=0)
        Membership.objects.bulk_create(
            Membership(classroom=classroom, user=s, role="student", number=i)
            for i, s in enumerate(students, start=1)
        )
        described = {
            "sessions": {"teacher": self.session(teacher), "student": self.session(students[0])},
            "articles": {},
        }
        for size in (int(s) for s in sizes.split(",")):
            described["articles"][str(size)] = self.fill(rng, size, classroom, teacher, students)
        with open(output, "w") as f:
            json.dump(described, f, indent=1)
        self.stdout.write(f"Wrote {output}")

    def session(self, user: User) -> str:
        session = SessionStore()
        session["_auth_user_id"] = str(user.pk)
        session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
        session["_auth_user_hash"] = user.get_session_auth_hash()
        session.create()
        return session.session_key

    def fill(self, rng, size, classroom, teacher, students) -> dict:
        article = Article.objects.create(
            title=f"Benchmark article with {size} annotations",
            slug=f"bench-{size}",
            status=Article.Status.PUBLISHED,
            standfirst="Deterministic text for the load benchmark.",
        )
        article.replace_blocks(
            [("heading", "A heading"), *(("paragraph", paragraph(rng)) for _ in range(BLOCKS))]
        )
        blocks = list(article.blocks.order_by("position"))
        texts = [b.text for b in blocks]
        assignment = Assignment.objects.create(classroom=classroom, article=article)
        start = now() - timedelta(days=2)
        annotations = []
        for _ in range(size):
            anchor = ranges_in(rng, texts)
            quote = quote_at(texts, anchor)
            roll = rng.random()
            visibility = "public" if roll < 0.7 else "class" if roll < 0.95 else "private"
            annotations.append(
                Annotation(
                    article=article,
                    author=rng.choice(students),
                    start_block=blocks[anchor.start_block],
                    start_offset=anchor.start_offset,
                    end_block=blocks[anchor.end_block],
                    end_offset=anchor.end_offset,
                    exact=quote.exact,
                    prefix=quote.prefix,
                    suffix=quote.suffix,
                    label=rng.choice(["claim", "claim", "evidence", "evidence", "opinion"]),
                    note=rng.choice(["", "", "Is this *really* so?", "See the 2023 figures."]),
                    visibility=visibility,
                    classroom=None if visibility == "private" else classroom,
                    assignment=None if visibility == "private" else assignment,
                    submission_key=uuid.UUID(int=rng.getrandbits(128)),
                )
            )
        annotations = Annotation.objects.bulk_create(annotations, batch_size=1000)
        # Spread creation times over two days: the dashboard's "last activity" means something.
        for i, a in enumerate(annotations):
            a.created = start + timedelta(seconds=30 * i)
        Annotation.objects.bulk_update(annotations, ["created"], batch_size=1000)
        self.replies(rng, annotations, students, teacher)
        self.links(rng, annotations)
        votes = [
            HelpfulVote(voter=voter, annotation=a)
            for a in annotations
            if rng.random() < 0.3
            for voter in rng.sample(students, 2)
            if voter.pk != a.author_id
        ]
        HelpfulVote.objects.bulk_create(votes, batch_size=1000)
        public = [a for a in annotations if a.visibility == "public"]
        selections = []
        for _ in range(SELECTIONS):
            anchor = ranges_in(rng, texts)
            quote = quote_at(texts, anchor)
            selections.append(
                {
                    "start_block": anchor.start_block + 1,
                    "start_offset": anchor.start_offset,
                    "end_block": anchor.end_block + 1,
                    "end_offset": anchor.end_offset,
                    "exact": quote.exact,
                    "prefix": quote.prefix,
                    "suffix": quote.suffix,
                }
            )
        article.refresh_from_db(fields=["activity"])
        return {
            "slug": article.slug,
            "assignment": assignment.pk,
            "activity": article.activity,
            "annotations": len(annotations),
            "replies": Reply.objects.filter(annotation__article=article).count(),
            "links": EvidenceLink.objects.filter(evidence__article=article).count(),
            # Public ones: every signed-in reader may reply to them.
            "reply_targets": [a.pk for a in rng.sample(public, min(200, len(public)))],
            "selections": selections,
        }

    def replies(self, rng, annotations, students, teacher) -> None:
        """About two per annotation, some answering others (threads three and more deep)."""
        rows = []
        for a in annotations:
            for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 3, 4])):
                rows.append(
                    Reply(
                        annotation=a,
                        author=rng.choice([*students, teacher]),
                        body=rng.choice(["I agree.", "Source?", "Not *quite*: see ¶3.", "Why?"]),
                        stance=rng.choice(["", "agree", "disagree", "question"]),
                    )
                )
        rows = Reply.objects.bulk_create(rows, batch_size=1000)
        parents = {}
        for reply in rows:
            earlier = parents.setdefault(reply.annotation_id, [])
            if earlier and rng.random() < 0.5:
                reply.parent = rng.choice(earlier)
            earlier.append(reply)
        Reply.objects.bulk_update([r for r in rows if r.parent_id], ["parent"], batch_size=1000)

    def links(self, rng, annotations) -> None:
        claims = [a for a in annotations if a.label == "claim" and a.visibility != "private"]
        if not claims:
            return
        rows = {}
        for a in annotations:
            if a.label == "evidence" and a.visibility != "private" and rng.random() < 0.6:
                claim = rng.choice(claims)
                rows[(a.pk, claim.pk)] = EvidenceLink(
                    evidence=a,
                    claim=claim,
                    relation=rng.choice(["supports", "refutes", "qualifies"]),
                    justification=rng.choice(["", "The numbers match."]),
                    author_id=a.author_id,
                )
        EvidenceLink.objects.bulk_create(rows.values(), batch_size=1000)
