import datetime

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from annotations.anchoring import Anchor
from annotations.models import Annotation, EvidenceLink
from articles.models import Article
from classrooms.models import Assignment, Classroom, Membership

CLASS_NAME = "9B English (demo)"
CAN_TRUMP, FOR_PUTIN = "seeds/can-trump-do-a-deal.txt", "seeds/putin-deal-with-trump.txt"
# (key, username, article, phrase, label, note): a class's first pass over the seeds.
HIGHLIGHTS = [
    (
        "h1",
        "student1",
        CAN_TRUMP,
        "Trump appears to have no sympathy for Ukraine",
        "claim",
        "Strong claim. What is it based on?",
    ),
    (
        "h2",
        "student2",
        CAN_TRUMP,
        "the US has provided $175 billion of economic and military aid to Kyiv",
        "evidence",
        "A figure we can check.",
    ),
    (
        "h3",
        "student3",
        CAN_TRUMP,
        "The idea that Putin could help Washington by turning away from China is fantastical.",
        "opinion",
        "",
    ),
    (
        "h4",
        "student1",
        CAN_TRUMP,
        "Putin has not deviated from his goals stated at the start of the full-scale invasion.",
        "claim",
        "",
    ),
    (
        "h5",
        "student3",
        CAN_TRUMP,
        "has not deviated from his goals",
        "opinion",
        "Isn’t “not deviated” a judgement?",
    ),
    ("h6", "student2", CAN_TRUMP, "Putin will want sanctions relief", "claim", ""),
    (
        "h7",
        "student1",
        CAN_TRUMP,
        "The loss of access to Western technology and equipment "
        "has halted several major industrial products",
        "evidence",
        "",
    ),
    ("h8", "student2", FOR_PUTIN, "War fatigue is palpable on all sides", "evidence", ""),
    (
        "h9",
        "student3",
        FOR_PUTIN,
        "any agreement would be seen as a significant win for the Kremlin",
        "claim",
        "",
    ),
]
# (highlight, username, body, stance, answering): the discussion so far.
REPLIES = [
    ("h1", "student2", "I *disagree*: $175bn of aid is hardly no interest.", "disagree", None),
    ("h1", "student3", "Agreed with Sam — the next sentence backs it up.", "agree", None),
    ("h1", "teacher", "Which sentence? Quote it, please.", "question", 1),
    ("h4", "student3", "Is this a fact or the author’s reading?", "question", None),
]
# Some of the class's work is public, so a first visitor sees highlights too.
PUBLIC = {"h1", "h2", "h4", "h6", "h7"}
# (evidence, claim, relation, justification)
LINKS = [
    ("h2", "h1", "refutes", "$175bn of aid is hardly no interest."),
    ("h7", "h6", "supports", "Sanctions still bite: Putin needs relief."),
    ("h8", "h9", "supports", ""),
]


class Command(BaseCommand):
    help = "A demo class (the demo teacher and students) with assignments on both seeds, once."

    @transaction.atomic
    def handle(self, *args, **options):
        if Classroom.objects.filter(name=CLASS_NAME).exists():
            return
        users = {
            u.username: u
            for u in User.objects.filter(
                username__in=["teacher", "student1", "student2", "student3"]
            )
        }
        articles = {
            a.import_key: a for a in Article.objects.filter(import_key__in=[CAN_TRUMP, FOR_PUTIN])
        }
        if len(users) < 4 or len(articles) < 2:
            self.stderr.write("Run import_seeds and create_demo_users first.")
            return
        classroom = Classroom.objects.create(name=CLASS_NAME)
        classroom.add_member(users["teacher"], Membership.Role.TEACHER)
        for name in ["student1", "student2", "student3"]:
            classroom.add_member(users[name], Membership.Role.STUDENT)
        due = timezone.now() + datetime.timedelta(days=7)
        for key, instructions in [
            (
                CAN_TRUMP,
                "Label at least three claims, evidence or opinions, then reply to a "
                "classmate: agree, disagree or ask a question.",
            ),
            (FOR_PUTIN, "Find the article’s main claim and link evidence to it."),
        ]:
            Assignment.objects.create(
                classroom=classroom, article=articles[key], instructions=instructions, due=due
            )
        made = {}
        for key, username, import_key, phrase, label, note in HIGHLIGHTS:
            article = articles[import_key]
            blocks = list(article.blocks.order_by("position"))
            index, start = next(
                (i, b.text.find(phrase)) for i, b in enumerate(blocks) if phrase in b.text
            )
            made[key] = Annotation.objects.create_at(
                article=article,
                author=users[username],
                blocks=blocks,
                anchor=Anchor(index, start, index, start + len(phrase)),
                label=label,
                note=note,
                visibility="public" if key in PUBLIC else "class",
                classroom_id=classroom.pk,
            )
        replies = []
        for key, username, body, stance, answering in REPLIES:
            parent = replies[answering] if answering is not None else None
            replies.append(made[key].reply(users[username], body, stance, parent))
        for evidence, claim, relation, why in LINKS:
            EvidenceLink.objects.create(
                evidence=made[evidence],
                claim=made[claim],
                relation=relation,
                justification=why,
                author=made[evidence].author,
            )
        self.stdout.write(
            f"Demo class “{CLASS_NAME}”: join code {classroom.join_code}, "
            f"{len(made)} highlights, {len(replies)} replies."
        )
