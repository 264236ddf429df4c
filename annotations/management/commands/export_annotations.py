"""Write every annotation, reply, evidence link and class membership as W3C Web Annotations."""

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Q

from annotations import webannotation
from annotations.models import Annotation, EvidenceLink, HelpfulVote, Reply
from articles.models import Article
from classrooms.models import Assignment, Classroom, Membership


class Command(BaseCommand):
    help = (
        "Export annotations, replies, evidence links, classes and the articles they are on as "
        "W3C Web Annotation JSON-LD (an AnnotationCollection). Read back with import_annotations."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="File to write (default: standard output).")
        parser.add_argument("--article", help="Only this article (its slug).")
        parser.add_argument(
            "--base-url",
            default="",
            help="Site address, e.g. https://gloss.example: targets then name the article's page "
            "instead of a urn:gloss:article: id.",
        )

    def handle(self, *args, output=None, article=None, base_url="", **options):
        # One snapshot: rows written while we read can't leave a reply without its highlight.
        # (Inside someone else's transaction, theirs decides.)
        outermost = not connection.in_atomic_block
        with transaction.atomic():
            if outermost and connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            data = collect(article, base_url.rstrip("/"))
        text = webannotation.dumps(
            webannotation.to_document(data, scope=f"article:{article}" if article else "")
        )
        if output:
            with open(output, "w", encoding="utf-8") as f:
                f.write(text)
            self.stderr.write(
                f"Wrote {len(data['annotations'])} highlights, {len(data['replies'])} replies "
                f"and {len(data['links'])} links to {output}."
            )
        else:
            self.stdout.write(text, ending="")


def collect(slug: str | None, base_url: str) -> dict:
    """Plain records of everything the export holds, straight from the database."""
    articles = Article.objects.all()
    if slug:
        articles = articles.filter(slug=slug)
        if not articles.exists():
            raise CommandError(f"No article with the slug {slug!r}.")
    articles = list(articles.prefetch_related("blocks"))
    annotations = Annotation.objects.filter(article__in=articles)
    replies = Reply.objects.filter(annotation__in=annotations)
    # A link comes along only when both its ends do (a partial export names no outside row).
    links = EvidenceLink.objects.filter(evidence__in=annotations, claim__in=annotations)
    if slug:
        assignments = Assignment.objects.filter(article__in=articles)
        classrooms = Classroom.objects.filter(
            Q(pk__in=annotations.values("classroom")) | Q(pk__in=assignments.values("classroom"))
        )
    else:
        assignments, classrooms = Assignment.objects.all(), Classroom.objects.all()

    votes: dict[tuple[str, int], list[str]] = {}
    for annotation_id, reply_id, voter in HelpfulVote.objects.filter(
        Q(annotation__in=annotations) | Q(reply__in=replies)
    ).values_list("annotation_id", "reply_id", "voter__username"):
        key = ("annotation", annotation_id) if annotation_id else ("reply", reply_id)
        votes.setdefault(key, []).append(voter)

    classroom_list = list(classrooms.distinct())
    members = list(Membership.objects.filter(classroom__in=classroom_list).select_related("user"))
    data = {
        "articles": [_article(a, base_url) for a in articles],
        "classrooms": [
            {
                "join_code": c.join_code,
                "name": c.name,
                "anonymous_students": c.anonymous_students,
                "created": c.created,
                "members": [
                    {
                        "username": m.user.username,
                        "role": m.role,
                        "number": m.number,
                        "joined": m.joined,
                    }
                    for m in members
                    if m.classroom_id == c.pk
                ],
            }
            for c in classroom_list
        ],
        "assignments": [
            {
                "classroom": a.classroom.join_code,
                "article": a.article.slug,
                "instructions": a.instructions,
                "due": a.due,
                "reveal_after": a.reveal_after,
                "min_annotations": a.min_annotations,
                "min_replies": a.min_replies,
                "created": a.created,
            }
            for a in assignments.select_related("classroom", "article")
        ],
        "annotations": [
            _annotation(a, votes.get(("annotation", a.pk), []))
            for a in annotations.select_related(
                "article", "author", "start_block", "end_block", "classroom", "assignment"
            ).select_related("assignment__classroom", "assignment__article")
        ],
        "replies": [
            _reply(r, votes.get(("reply", r.pk), []))
            for r in replies.select_related("author", "annotation", "parent", "answered_by")
        ],
        "links": [
            {
                "uid": link.uid,
                "evidence": link.evidence.uid,
                "claim": link.claim.uid,
                "relation": link.relation,
                "justification": link.justification,
                "author": link.author.username,
                "created": link.created,
            }
            for link in links.select_related("evidence", "claim", "author")
        ],
    }
    usernames = {m.user.username for m in members}
    for section in ("annotations", "replies", "links"):
        for record in data[section]:
            usernames.add(record["author"])
            usernames.update(record.get("helpful", []))
    data["users"] = [
        {"username": u.username, "name": u.first_name}
        for u in User.objects.filter(username__in=usernames)
    ]
    return data


def _article(article: Article, base_url: str) -> dict:
    return {
        "slug": article.slug,
        "url": f"{base_url}{article.get_absolute_url()}" if base_url else None,
        "title": article.title,
        "standfirst": article.standfirst,
        "author": article.author,
        "source_name": article.source_name,
        "source_url": article.source_url,
        "published_year": article.published_year,
        "published_month": article.published_month,
        "published_day": article.published_day,
        "article_type": article.article_type,
        "status": article.status,
        "import_key": article.import_key,
        "created": article.created,
        "updated": article.updated,
        "blocks": [
            {"kind": b.kind, "text": b.text, "revision": b.revision}
            for b in sorted(article.blocks.all(), key=lambda b: b.position)
        ],
    }


def _annotation(a: Annotation, voters: list[str]) -> dict:
    anchor = None
    if a.start_block and a.end_block:
        anchor = {
            "start_block": a.start_block.position,
            "start_offset": a.start_offset,
            "end_block": a.end_block.position,
            "end_offset": a.end_offset,
        }
    return {
        "uid": a.uid,
        "article": a.article.slug,
        "author": a.author.username,
        "label": a.label,
        "note": a.note,
        "exact": a.exact,
        "prefix": a.prefix,
        "suffix": a.suffix,
        "anchor": anchor,
        "anchored_revision": a.anchored_revision,
        "approximate": a.approximate,
        "visibility": a.visibility,
        "classroom": a.classroom.join_code if a.classroom else None,
        "assignment": {
            "classroom": a.assignment.classroom.join_code,
            "article": a.assignment.article.slug,
        }
        if a.assignment
        else None,
        "hidden": a.hidden,
        "resolved": a.resolved,
        "deleted_at": a.deleted_at,
        "created": a.created,
        "updated": a.updated,
        "helpful": voters,
    }


def _reply(r: Reply, voters: list[str]) -> dict:
    return {
        "uid": r.uid,
        "annotation": r.annotation.uid,
        "parent": r.parent.uid if r.parent else None,
        "author": r.author.username,
        "body": r.body,
        "stance": r.stance,
        "answered_by": r.answered_by.uid if r.answered_by else None,
        "deleted": r.deleted,
        "hidden": r.hidden,
        "edited": r.edited,
        "created": r.created,
        "updated": r.updated,
        "helpful": voters,
    }
