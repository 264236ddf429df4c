from django.contrib.auth.models import User
from django.core.management.base import BaseCommand

from annotations.anchoring import Anchor
from annotations.models import Annotation
from articles.models import Article

# (username, article import key, phrase, label, note): a class's first pass over a seed.
DEMO_HIGHLIGHTS = [
    (
        "student1",
        "seeds/can-trump-do-a-deal.txt",
        "Trump appears to have no sympathy for Ukraine",
        "claim",
        "Strong claim. What is it based on?",
    ),
    (
        "student2",
        "seeds/can-trump-do-a-deal.txt",
        "the US has provided $175 billion of economic and military aid to Kyiv",
        "evidence",
        "A figure we can check.",
    ),
    (
        "student3",
        "seeds/can-trump-do-a-deal.txt",
        "The idea that Putin could help Washington by turning away from China is fantastical.",
        "opinion",
        "",
    ),
    (
        "student1",
        "seeds/can-trump-do-a-deal.txt",
        "Putin has not deviated from his goals stated at the start of the full-scale invasion.",
        "claim",
        "",
    ),
    (
        "teacher",
        "seeds/can-trump-do-a-deal.txt",
        "has not deviated from his goals",
        "opinion",
        "Is “not deviated” a fact or a judgement? Discuss.",
    ),
    ("student2", "seeds/putin-deal-with-trump.txt", "there is no hesitation", "claim", ""),
]


class Command(BaseCommand):
    help = "Add a few highlights by the demo accounts, once (skipped if they have any)."

    def handle(self, *args, **options):
        users = {
            u.username: u for u in User.objects.filter(username__in={h[0] for h in DEMO_HIGHLIGHTS})
        }
        if Annotation.objects.filter(author__in=users.values()).exists():
            return
        made = 0
        for username, key, phrase, label, note in DEMO_HIGHLIGHTS:
            article = Article.objects.filter(import_key=key).first()
            if article is None or username not in users:
                continue
            blocks = list(article.blocks.order_by("position"))
            for index, block in enumerate(blocks):
                start = block.text.find(phrase)
                if start < 0:
                    continue
                Annotation.objects.create_at(
                    article=article,
                    author=users[username],
                    blocks=blocks,
                    anchor=Anchor(index, start, index, start + len(phrase)),
                    label=label,
                    note=note,
                )
                made += 1
                break
        self.stdout.write(f"Added {made} demo highlights.")
