"""Read an export_annotations file back: all of it in one transaction, or nothing."""

import json
import sys
from collections import Counter

from django.contrib.auth.models import User
from django.core.exceptions import FieldDoesNotExist
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, models, transaction

from annotations import webannotation
from annotations.models import Annotation, EvidenceLink, HelpfulVote, Reply
from articles.models import Article, Block
from classrooms.models import Assignment, Classroom, Membership


class Command(BaseCommand):
    help = (
        "Import a W3C Web Annotation file written by export_annotations. Rows are matched by "
        "their ids (usernames, slugs, join codes, urn:uuid), so importing twice changes nothing; "
        "a bad file changes nothing at all."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The JSON-LD file (- for standard input).")

    def handle(self, *args, file, **options):
        try:
            if file == "-":
                text = sys.stdin.read()
            else:
                with open(file, encoding="utf-8") as f:
                    text = f.read()
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Can't read {file}: {error}") from error
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise CommandError(f"{file} is not JSON: {error}") from error
        try:
            data = webannotation.from_document(document)
        except webannotation.FormatError as error:
            raise CommandError(
                f"{file} can't be imported, nothing was written:\n{error}"
            ) from error
        try:
            with transaction.atomic():
                counts = Importer(data).run()
        except DatabaseError as error:  # a constraint, or a value too long for its column
            raise CommandError(
                f"The database refused {file}, nothing was written: {error}"
            ) from error
        summary = ", ".join(f"{n} {what}" for what, n in sorted(counts.items())) or "nothing new"
        self.stdout.write(f"Imported {file}: {summary}.")


class Importer:
    """Creates what is missing and brings what exists to the file's values; deletes nothing."""

    def __init__(self, data: dict):
        self.data = data
        self.counts: Counter[str] = Counter()
        self.errors: list[str] = []
        self.touched: set[int] = set()

    def run(self) -> Counter:
        self.users = self._users()
        self.articles = self._articles()
        self.classrooms = self._classrooms()
        self.assignments = self._assignments()
        if not self.errors:
            self.annotations = self._annotations()
        if not self.errors:
            self.replies = self._replies()
        if not self.errors:
            self._links()
            self._votes()
        if self.errors:
            # Raised inside the transaction: everything above is rolled back.
            raise CommandError("Nothing was written:\n" + "\n".join(self.errors[:20]))
        for article in Article.objects.filter(pk__in=self.touched):
            article.touch()  # live readers pick the changes up
        return self.counts

    def upsert(self, model, lookup: dict, values: dict, what: str, article_id=None):
        """The row matching `lookup` with `values`, written only where it differs.

        Timestamps are written with update(): save() would put "now" in auto_now fields.
        """
        values = {k: v for k, v in values.items() if v is not None or not _is_timestamp(model, k)}
        row = model.objects.filter(**lookup).first()
        if row is None:
            row = model.objects.create(**lookup, **values)
            stamps = {k: v for k, v in values.items() if _is_timestamp(model, k)}
            model.objects.filter(pk=row.pk).update(**stamps)
            for name, value in stamps.items():
                setattr(row, name, value)
            self.counts[f"{what} created"] += 1
        else:
            changed = {k: v for k, v in values.items() if getattr(row, k) != v}
            if not changed:
                return row
            model.objects.filter(pk=row.pk).update(**changed)
            for name, value in changed.items():
                setattr(row, name, value)
            self.counts[f"{what} updated"] += 1
        if article_id:
            self.touched.add(article_id)
        return row

    # ---- people, articles, classes ----

    def _users(self) -> dict[str, int]:
        names = {u["username"]: u["name"] for u in self.data["users"]}
        for section in ("annotations", "replies", "links"):
            for record in self.data[section]:
                names.setdefault(record["author"], "")
                for voter in record.get("helpful", []):
                    names.setdefault(voter, "")
        for classroom in self.data["classrooms"]:
            for member in classroom["members"]:
                names.setdefault(member["username"], "")
        existing = dict(User.objects.filter(username__in=names).values_list("username", "pk"))
        for username in sorted(set(names) - set(existing)):
            # Somebody's words need their author; the person sets a password to sign in.
            user = User.objects.create_user(username=username, first_name=names[username])
            user.set_unusable_password()
            user.save(update_fields=["password"])
            existing[username] = user.pk
            self.counts["users created"] += 1
        return existing

    def _articles(self) -> dict[str, tuple[int, dict[int, int], list[str]]]:
        """slug → (article id, block id by position, block texts) for every article needed."""
        wanted = {a["article"] for a in self.data["annotations"]}
        wanted |= {a["article"] for a in self.data["assignments"]}
        for record in self.data["articles"]:
            wanted.add(record["slug"])
            if Article.objects.filter(slug=record["slug"]).exists():
                # An article already here is the curators': its words are not overwritten.
                continue
            article = Article.objects.create(
                slug=record["slug"],
                title=record["title"],
                standfirst=record["standfirst"],
                author=record["author"],
                source_name=record["source_name"],
                source_url=record["source_url"],
                published_year=record["published_year"],
                published_month=record["published_month"],
                published_day=record["published_day"],
                article_type=record["article_type"],
                status=record["status"],
                import_key=record["import_key"],
            )
            Block.objects.bulk_create(
                Block(
                    article=article,
                    position=position,
                    kind=b["kind"],
                    text=b["text"],
                    revision=b["revision"],
                )
                for position, b in enumerate(record["blocks"], start=1)
            )
            article.refresh_word_count()
            stamps = {k: record[k] for k in ("created", "updated") if record[k]}
            Article.objects.filter(pk=article.pk).update(**stamps)
            self.counts["articles created"] += 1
        found = {}
        for article in Article.objects.filter(slug__in=wanted).prefetch_related("blocks"):
            blocks = sorted(article.blocks.all(), key=lambda b: b.position)
            found[article.slug] = (
                article.pk,
                {b.position: b.pk for b in blocks},
                [b.text for b in blocks],
            )
        for slug in sorted(wanted - set(found)):
            self.errors.append(f"Article {slug!r} is neither in the file nor in the database.")
        return found

    def _classrooms(self) -> dict[str, int]:
        found = {}
        for record in self.data["classrooms"]:
            classroom = self.upsert(
                Classroom,
                {"join_code": record["join_code"]},
                {
                    "name": record["name"],
                    "anonymous_students": record["anonymous_students"],
                    "created": record["created"],
                },
                "classes",
            )
            found[record["join_code"]] = classroom.pk
            for member in record["members"]:
                self.upsert(
                    Membership,
                    {"classroom_id": classroom.pk, "user_id": self.users[member["username"]]},
                    {
                        "role": member["role"],
                        "number": member["number"],
                        "joined": member["joined"],
                    },
                    "memberships",
                )
        wanted = {a["classroom"] for a in self.data["annotations"] if a["classroom"]}
        wanted |= {a["classroom"] for a in self.data["assignments"]}
        wanted |= {
            a["assignment"]["classroom"] for a in self.data["annotations"] if a["assignment"]
        }
        found |= dict(
            Classroom.objects.filter(join_code__in=wanted - set(found)).values_list(
                "join_code", "pk"
            )
        )
        for code in sorted(wanted - set(found)):
            self.errors.append(f"Class {code!r} is neither in the file nor in the database.")
        return found

    def _assignments(self) -> dict[tuple[str, str], int]:
        found = {}
        for record in self.data["assignments"]:
            if record["classroom"] not in self.classrooms or record["article"] not in self.articles:
                continue  # already reported
            assignment = self.upsert(
                Assignment,
                {
                    "classroom_id": self.classrooms[record["classroom"]],
                    "article_id": self.articles[record["article"]][0],
                },
                {
                    "instructions": record["instructions"],
                    "due": record["due"],
                    "reveal_after": record["reveal_after"],
                    "min_annotations": record["min_annotations"],
                    "min_replies": record["min_replies"],
                    "created": record["created"],
                },
                "assignments",
            )
            found[(record["classroom"], record["article"])] = assignment.pk
        for record in self.data["annotations"]:
            key = record["assignment"] and (
                record["assignment"]["classroom"],
                record["assignment"]["article"],
            )
            if key and key not in found:
                row = Assignment.objects.filter(
                    classroom__join_code=key[0], article__slug=key[1]
                ).first()
                if row is None:
                    self.errors.append(
                        f"The assignment of {key[1]!r} for class {key[0]!r} is missing."
                    )
                else:
                    found[key] = row.pk
        return found

    # ---- annotations, threads, links, votes ----

    def _annotations(self) -> dict:
        found = {}
        for record in self.data["annotations"]:
            article_pk, block_of, texts = self.articles[record["article"]]
            problem = webannotation.anchor_problem(texts, record)
            if problem:
                self.errors.append(f"{webannotation.uid_urn(record['uid'])}: {problem}.")
                continue
            anchor = record["anchor"]
            values = {
                "article_id": article_pk,
                "author_id": self.users[record["author"]],
                "label": record["label"],
                "note": record["note"],
                "exact": record["exact"],
                "prefix": record["prefix"],
                "suffix": record["suffix"],
                "anchored_revision": record["anchored_revision"],
                "approximate": record["approximate"],
                "visibility": record["visibility"],
                "classroom_id": self.classrooms[record["classroom"]]
                if record["classroom"]
                else None,
                "assignment_id": self.assignments[
                    (record["assignment"]["classroom"], record["assignment"]["article"])
                ]
                if record["assignment"]
                else None,
                "hidden": record["hidden"],
                "resolved": record["resolved"],
                "deleted_at": record["deleted_at"],
                "created": record["created"],
                "updated": record["updated"],
            }
            if anchor:
                values |= {
                    "start_block_id": block_of[anchor["start_block"]],
                    "start_offset": anchor["start_offset"],
                    "end_block_id": block_of[anchor["end_block"]],
                    "end_offset": anchor["end_offset"],
                }
            elif not Annotation.objects.filter(uid=record["uid"]).exists():
                # Detached: no paragraph, and offsets that no longer mean anything.
                values |= {
                    "start_block_id": None,
                    "end_block_id": None,
                    "start_offset": 0,
                    "end_offset": 0,
                }
            else:
                values |= {"start_block_id": None, "end_block_id": None}
            row = self.upsert(Annotation, {"uid": record["uid"]}, values, "highlights", article_pk)
            found[record["uid"]] = (row.pk, article_pk)
        return found

    def _annotation(self, uid) -> tuple[int, int] | None:
        if uid not in self.annotations:
            row = Annotation.objects.filter(uid=uid).values_list("pk", "article_id").first()
            if row:
                self.annotations[uid] = row
        return self.annotations.get(uid)

    def _replies(self) -> dict:
        records = {r["uid"]: r for r in self.data["replies"]}

        def depth(record) -> int:
            n = 0
            while record["parent"]:
                record, n = records[record["parent"]], n + 1
            return n

        found = {}
        for record in sorted(self.data["replies"], key=depth):
            thread = self._annotation(record["annotation"])
            if thread is None:
                self.errors.append(
                    f"{webannotation.uid_urn(record['uid'])}: its highlight "
                    f"{webannotation.uid_urn(record['annotation'])} is neither in the file nor in "
                    "the database."
                )
                continue
            row = self.upsert(
                Reply,
                {"uid": record["uid"]},
                {
                    "annotation_id": thread[0],
                    "parent_id": found[record["parent"]] if record["parent"] else None,
                    "author_id": self.users[record["author"]],
                    "body": record["body"],
                    "stance": record["stance"],
                    "deleted": record["deleted"],
                    "hidden": record["hidden"],
                    "edited": record["edited"],
                    "created": record["created"],
                    "updated": record["updated"],
                },
                "replies",
                thread[1],
            )
            found[record["uid"]] = row.pk
        # Answers point anywhere in the thread, so they are set once every reply exists.
        for record in self.data["replies"]:
            if record["uid"] in found:
                answer = found.get(record["answered_by"]) if record["answered_by"] else None
                self.upsert(
                    Reply,
                    {"uid": record["uid"]},
                    {"answered_by_id": answer},
                    "answers",
                    self._annotation(record["annotation"])[1],
                )
        return found

    def _links(self) -> None:
        for record in self.data["links"]:
            ends = [self._annotation(record[end]) for end in ("evidence", "claim")]
            if None in ends:
                self.errors.append(
                    f"{webannotation.uid_urn(record['uid'])}: a highlight it links is neither "
                    "in the file nor in the database."
                )
                continue
            self.upsert(
                EvidenceLink,
                {"uid": record["uid"]},
                {
                    "evidence_id": ends[0][0],
                    "claim_id": ends[1][0],
                    "relation": record["relation"],
                    "justification": record["justification"],
                    "author_id": self.users[record["author"]],
                    "created": record["created"],
                },
                "links",
                ends[0][1],
            )

    def _votes(self) -> None:
        for field, section, found in [
            ("annotation", "annotations", self.annotations),
            ("reply", "replies", self.replies),
        ]:
            for record in self.data[section]:
                target = found[record["uid"]]
                pk = target[0] if isinstance(target, tuple) else target
                for voter in record["helpful"]:
                    _, created = HelpfulVote.objects.get_or_create(
                        voter_id=self.users[voter], **{f"{field}_id": pk}
                    )
                    if created:
                        self.counts["helpful votes created"] += 1


def _is_timestamp(model, name: str) -> bool:
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add)
