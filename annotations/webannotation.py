"""Gloss's data as W3C Web Annotation JSON-LD, and back: plain dicts in, plain dicts out.

Pure Python, no Django (the export and import commands do the database side). The document is
an ``AnnotationCollection`` whose single page holds every highlight, reply and evidence link
as an ``Annotation`` (https://www.w3.org/TR/annotation-model/):

- a highlight: motivation ``commenting`` (it has a note) or ``highlighting``; bodies are the
  note (``TextualBody``, ``text/markdown``, purpose ``commenting``) and the label (purpose
  ``classifying``); the target is the article with a ``TextQuoteSelector`` (exact, prefix,
  suffix) and a ``TextPositionSelector`` over the article's whole text: its blocks joined with
  ``BLOCK_SEPARATOR`` (one newline), offsets in Unicode code points, end exclusive, as in
  ``annotations.anchoring``. Our own anchor (1-based block positions and offsets) rides along as
  ``gloss:anchor`` so an import never has to re-find the words;
- a reply: motivation ``replying``, target the id of what it answers (the highlight, or the reply
  it is nested under), ``gloss:thread`` the highlight's id;
- an evidence link: motivation ``linking``, target the claim, bodies the evidence's id and the
  justification, ``gloss:relation`` supports / refutes / qualifies.

Everything W3C has no word for (visibility, class, stance, answers, helpful votes, hidden,
deleted placeholders...) is an extension under the ``gloss:`` prefix declared in ``@context``,
and so are the sections that are not annotations at all: ``gloss:users``, ``gloss:articles``
(with their blocks, so a backup restores onto an empty database), ``gloss:classrooms`` (with
their members) and ``gloss:assignments``.

Ids are stable across databases (``urn:uuid:`` of each row's ``uid``, usernames, slugs, join
codes) and nothing in the document depends on row ids or on when it was written, so the same
data always gives byte-identical output.
"""

import json
import re
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from .anchoring import BLOCK_SEPARATOR, Anchor, AnchorError, quote_at, to_document_offset

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
GLOSS_NS = "urn:gloss:terms:"
CONTEXT = [ANNO_CONTEXT, {"gloss": GLOSS_NS}]
FORMAT_VERSION = 1

LABELS = ("claim", "evidence", "opinion")
VISIBILITIES = ("private", "class", "public", "key")
STANCES = ("", "agree", "disagree", "question")
RELATIONS = ("supports", "refutes", "qualifies")
ROLES = ("teacher", "student")
BLOCK_KINDS = ("heading", "paragraph")
STATUSES = ("draft", "published", "archived")
HIGHLIGHT_MOTIVATIONS = ("highlighting", "commenting")

# Column sizes the database holds to (SQLite would not complain; PostgreSQL would).
CONTEXT_MAX_LENGTH, JUSTIFICATION_MAX_LENGTH, TITLE_MAX_LENGTH, CLASS_NAME_MAX_LENGTH = (
    64,
    200,
    300,
    100,
)

# Our anchor in the file: 1-based block positions, code point offsets within them.
ANCHOR_KEYS = {
    "start_block": "startBlock",
    "start_offset": "startOffset",
    "end_block": "endBlock",
    "end_offset": "endOffset",
}
_UUID_URN = re.compile(r"^urn:uuid:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")
_MAX_ERRORS = 20


class FormatError(ValueError):
    """The file is not a Gloss export we can read; `errors` says where and why, one per line."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        more = "" if len(errors) <= _MAX_ERRORS else f"\n… and {len(errors) - _MAX_ERRORS} more"
        super().__init__("\n".join(errors[:_MAX_ERRORS]) + more)


# ---- Names --------------------------------------------------------------------------------


def uid_urn(uid: uuid.UUID | str) -> str:
    return f"urn:uuid:{uuid.UUID(str(uid))}"


def user_id(username: str) -> str:
    return f"urn:gloss:user:{username}"


def article_id(slug: str) -> str:
    return f"urn:gloss:article:{slug}"


def classroom_id(join_code: str) -> str:
    return f"urn:gloss:classroom:{join_code}"


def timestamp(moment: datetime | None) -> str | None:
    """xsd:dateTime in UTC with microseconds, so a round trip keeps every instant exactly."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def document_offsets(blocks: Sequence[str], anchor: dict) -> tuple[int, int] | None:
    """(start, end) over the whole article text of a block anchor (1-based positions)."""
    try:
        start = to_document_offset(blocks, anchor["start_block"] - 1, anchor["start_offset"])
        end = to_document_offset(blocks, anchor["end_block"] - 1, anchor["end_offset"])
    except AnchorError:
        return None
    return start, end


def anchor_problem(blocks: Sequence[str], record: dict) -> str | None:
    """Why a highlight's anchor can't stand on these block texts, or None when it can.

    The quote must still sit at the offsets unless re-anchoring marked it approximate (then
    the reader's words and the article's differ, by design); a deleted highlight's placeholder
    is an empty range at the start of its paragraph.
    """
    anchor = record["anchor"]
    if anchor is None:
        return None
    if record["deleted_at"] is not None:
        if not 1 <= anchor["start_block"] <= len(blocks):
            return f"paragraph {anchor['start_block']} is not in the article"
        return None
    try:
        quote = quote_at(
            blocks,
            Anchor(
                anchor["start_block"] - 1,
                anchor["start_offset"],
                anchor["end_block"] - 1,
                anchor["end_offset"],
            ),
        )
    except AnchorError as error:
        return f"its anchor does not fit the article ({error})"
    if not record["approximate"] and quote.exact != record["exact"]:
        return "the article's text at its anchor is not its quote (the article was edited?)"
    return None


# ---- Export -------------------------------------------------------------------------------


def _person(username: str) -> dict:
    return {"id": user_id(username), "type": "Person", "nickname": username}


def _sorted_usernames(names: Iterable[str]) -> list[str]:
    return sorted(set(names))


def highlight_item(record: dict, blocks: Sequence[str] | None, source: str) -> dict:
    """One highlight (or a deleted highlight's placeholder) as a W3C Annotation."""
    deleted = record["deleted_at"] is not None
    body = []
    if record["note"]:
        body.append(
            {
                "type": "TextualBody",
                "value": record["note"],
                "format": "text/markdown",
                "purpose": "commenting",
            }
        )
    if record["label"]:
        body.append({"type": "TextualBody", "value": record["label"], "purpose": "classifying"})
    target: dict = {"source": source, "gloss:article": record["article"]}
    anchor = record["anchor"]
    if not deleted:
        selectors: list[dict] = [
            {
                "type": "TextQuoteSelector",
                "exact": record["exact"],
                "prefix": record["prefix"],
                "suffix": record["suffix"],
            }
        ]
        offsets = document_offsets(blocks, anchor) if anchor and blocks is not None else None
        if offsets:
            selectors.append(
                {"type": "TextPositionSelector", "start": offsets[0], "end": offsets[1]}
            )
        target["selector"] = selectors
    item = {
        "@context": CONTEXT,
        "id": uid_urn(record["uid"]),
        "type": "Annotation",
        "motivation": "commenting" if record["note"] else "highlighting",
        "creator": _person(record["author"]),
        "created": timestamp(record["created"]),
        "modified": timestamp(record["updated"]),
    }
    if body:
        item["body"] = body
    item["target"] = target
    item.update(
        {
            "gloss:anchor": {ANCHOR_KEYS[k]: v for k, v in anchor.items()} if anchor else None,
            "gloss:anchoredRevision": record["anchored_revision"],
            "gloss:approximate": record["approximate"],
            "gloss:visibility": record["visibility"],
            "gloss:classroom": classroom_id(record["classroom"]) if record["classroom"] else None,
            "gloss:assignment": dict(record["assignment"]) if record["assignment"] else None,
            "gloss:hidden": record["hidden"],
            "gloss:resolved": record["resolved"],
            "gloss:deleted": timestamp(record["deleted_at"]),
            "gloss:helpful": _sorted_usernames(record["helpful"]),
        }
    )
    return item


def reply_item(record: dict) -> dict:
    """One reply: an Annotation replying to the highlight or to the reply it answers."""
    item = {
        "@context": CONTEXT,
        "id": uid_urn(record["uid"]),
        "type": "Annotation",
        "motivation": "replying",
        "creator": _person(record["author"]),
        "created": timestamp(record["created"]),
        "modified": timestamp(record["updated"]),
    }
    if not record["deleted"]:
        item["body"] = {"type": "TextualBody", "value": record["body"], "format": "text/markdown"}
    item["target"] = uid_urn(record["parent"] or record["annotation"])
    item.update(
        {
            "gloss:thread": uid_urn(record["annotation"]),
            "gloss:stance": record["stance"] or None,
            "gloss:answeredBy": uid_urn(record["answered_by"]) if record["answered_by"] else None,
            "gloss:deleted": record["deleted"],
            "gloss:hidden": record["hidden"],
            "gloss:edited": record["edited"],
            "gloss:helpful": _sorted_usernames(record["helpful"]),
        }
    )
    return item


def link_item(record: dict) -> dict:
    """Evidence bearing on a claim: a linking Annotation on the claim, the evidence its body."""
    body: list = [uid_urn(record["evidence"])]
    if record["justification"]:
        body.append(
            {"type": "TextualBody", "value": record["justification"], "purpose": "commenting"}
        )
    return {
        "@context": CONTEXT,
        "id": uid_urn(record["uid"]),
        "type": "Annotation",
        "motivation": "linking",
        "creator": _person(record["author"]),
        "created": timestamp(record["created"]),
        "body": body,
        "target": uid_urn(record["claim"]),
        "gloss:relation": record["relation"],
    }


def _article_section(record: dict) -> dict:
    return {
        "id": article_id(record["slug"]),
        "slug": record["slug"],
        "url": record.get("url"),
        "title": record["title"],
        "standfirst": record["standfirst"],
        "author": record["author"],
        "sourceName": record["source_name"],
        "sourceUrl": record["source_url"],
        "published": {
            "year": record["published_year"],
            "month": record["published_month"],
            "day": record["published_day"],
        },
        "articleType": record["article_type"],
        "status": record["status"],
        "importKey": record["import_key"],
        "created": timestamp(record["created"]),
        "modified": timestamp(record["updated"]),
        "blockSeparator": BLOCK_SEPARATOR,
        "blocks": [
            {"kind": b["kind"], "text": b["text"], "revision": b["revision"]}
            for b in record["blocks"]
        ],
    }


def _classroom_section(record: dict) -> dict:
    return {
        "id": classroom_id(record["join_code"]),
        "joinCode": record["join_code"],
        "name": record["name"],
        "anonymousStudents": record["anonymous_students"],
        "created": timestamp(record["created"]),
        "members": [
            {
                "user": m["username"],
                "role": m["role"],
                "number": m["number"],
                "joined": timestamp(m["joined"]),
            }
            for m in sorted(record["members"], key=lambda m: (m["number"], m["username"]))
        ],
    }


def _assignment_section(record: dict) -> dict:
    return {
        "classroom": record["classroom"],
        "article": record["article"],
        "instructions": record["instructions"],
        "due": timestamp(record["due"]),
        "revealAfter": record["reveal_after"],
        "minAnnotations": record["min_annotations"],
        "minReplies": record["min_replies"],
        "created": timestamp(record["created"]),
    }


def _order(records: list[dict], moment: str = "created") -> list[dict]:
    return sorted(records, key=lambda r: (r[moment], str(r["uid"])))


def to_document(data: dict, scope: str = "") -> dict:
    """The whole export as one JSON-LD document (see the module docstring).

    `data` holds plain records: users, articles (with blocks), classrooms (with members),
    assignments, annotations, replies, links. `scope` names a partial export (an article).
    """
    blocks_of = {a["slug"]: [b["text"] for b in a["blocks"]] for a in data["articles"]}
    url_of = {a["slug"]: a.get("url") or article_id(a["slug"]) for a in data["articles"]}
    items = [
        highlight_item(a, blocks_of.get(a["article"]), url_of.get(a["article"], ""))
        for a in _order(data["annotations"])
    ]
    items += [reply_item(r) for r in _order(data["replies"])]
    items += [link_item(link) for link in _order(data["links"])]
    collection = "urn:gloss:export" + (f":{scope}" if scope else "")
    return {
        "@context": CONTEXT,
        "id": collection,
        "type": "AnnotationCollection",
        "label": "Gloss annotations" + (f" ({scope})" if scope else ""),
        "total": len(items),
        "gloss:formatVersion": FORMAT_VERSION,
        "gloss:users": [
            {"id": user_id(u["username"]), "nickname": u["username"], "name": u["name"]}
            for u in sorted(data["users"], key=lambda u: u["username"])
        ],
        "gloss:articles": [
            _article_section(a) for a in sorted(data["articles"], key=lambda a: a["slug"])
        ],
        "gloss:classrooms": [
            _classroom_section(c) for c in sorted(data["classrooms"], key=lambda c: c["join_code"])
        ],
        "gloss:assignments": [
            _assignment_section(a)
            for a in sorted(data["assignments"], key=lambda a: (a["classroom"], a["article"]))
        ],
        "first": {
            "id": f"{collection}:page:1",
            "type": "AnnotationPage",
            "startIndex": 0,
            "items": items,
        },
    }


def dumps(document: dict) -> str:
    """The document as text: UTF-8 friendly, indented, the same bytes for the same data."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


# ---- Import -------------------------------------------------------------------------------


class _Reader:
    """Reads one document, collecting every problem with where it was found."""

    def __init__(self):
        self.errors: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.errors.append(f"{where}: {message}")

    def get(self, obj, key: str, where: str, kinds, required: bool = True, default=None):
        if not isinstance(obj, dict):
            self.fail(where, "expected an object")
            return default
        if key not in obj or obj[key] is None:
            if required:
                self.fail(f"{where}.{key}", "missing")
            return default
        value = obj[key]
        # bool is an int to Python: never accept one for the other.
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in _tuple(kinds)):
            self.fail(f"{where}.{key}", f"expected {_kind_names(kinds)}, got {value!r:.60}")
            return default
        return value

    def text(self, obj, key, where, required=True, default="", choices=None, max_length=None):
        value = self.get(obj, key, where, str, required, default)
        if choices is not None and value not in choices and (required or value != default):
            self.fail(f"{where}.{key}", f"{value!r:.40} is not one of {', '.join(choices)}")
        if max_length is not None and isinstance(value, str) and len(value) > max_length:
            self.fail(f"{where}.{key}", f"longer than {max_length} characters")
        return value

    def number(self, obj, key, where, required=True, default=0, minimum=0, maximum=2**31 - 1):
        value = self.get(obj, key, where, int, required, default)
        present = isinstance(obj, dict) and obj.get(key) is not None
        if present and isinstance(value, int) and not minimum <= value <= maximum:
            self.fail(f"{where}.{key}", f"must be from {minimum} to {maximum}")
        return value

    def flag(self, obj, key, where, default=False):
        return self.get(obj, key, where, bool, required=False, default=default)

    def moment(self, obj, key, where, required=True):
        value = self.get(obj, key, where, str, required, None)
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            self.fail(f"{where}.{key}", f"not a date and time: {value!r:.40}")
            return None
        if parsed.tzinfo is None:
            self.fail(f"{where}.{key}", "a date and time needs its time zone (e.g. Z)")
            return None
        return parsed.astimezone(UTC)

    def uid(self, value, where: str) -> uuid.UUID | None:
        match = _UUID_URN.match(value) if isinstance(value, str) else None
        if not match:
            self.fail(where, f"expected an id like urn:uuid:…, got {value!r:.60}")
            return None
        return uuid.UUID(match.group(1))

    def prefixed(self, value, prefix: str, where: str) -> str | None:
        if isinstance(value, str) and value.startswith(prefix) and len(value) > len(prefix):
            return value[len(prefix) :]
        self.fail(where, f"expected an id like {prefix}…, got {value!r:.60}")
        return None

    def creator(self, item, where) -> str | None:
        creator = item.get("creator") if isinstance(item, dict) else None
        if isinstance(creator, str):
            return self.prefixed(creator, "urn:gloss:user:", f"{where}.creator")
        nickname = self.get(creator, "nickname", f"{where}.creator", str, required=False)
        if nickname:
            return nickname
        return self.prefixed(
            self.get(creator, "id", f"{where}.creator", str), "urn:gloss:user:", f"{where}.creator"
        )

    def helpful(self, item, where) -> list[str]:
        voters = self.get(item, "gloss:helpful", where, list, required=False, default=[])
        if not all(isinstance(v, str) and v for v in voters):
            self.fail(f"{where}.gloss:helpful", "expected a list of usernames")
            return []
        return voters


def _tuple(kinds) -> tuple:
    return kinds if isinstance(kinds, tuple) else (kinds,)


def _kind_names(kinds) -> str:
    names = {str: "text", int: "a whole number", bool: "true or false", list: "a list"}
    names |= {dict: "an object"}
    return " or ".join(names.get(k, k.__name__) for k in _tuple(kinds))


def _has_anno_context(context) -> bool:
    return context == ANNO_CONTEXT or (isinstance(context, list) and ANNO_CONTEXT in context)


def _bodies(item) -> list:
    body = item.get("body", [])
    return body if isinstance(body, list) else [body]


def _textual(bodies: list, purpose: str | None) -> str | None:
    for body in bodies:
        textual = isinstance(body, dict) and body.get("type") == "TextualBody"
        if textual and body.get("purpose") == purpose:
            value = body.get("value")
            return value if isinstance(value, str) else None
    return None


def _anchor(reader: _Reader, value, where: str) -> dict | None:
    if value is None:
        return None
    anchor, errors = {}, len(reader.errors)
    for key, name in ANCHOR_KEYS.items():
        anchor[key] = reader.number(value, name, where, minimum=1 if key.endswith("block") else 0)
    if len(reader.errors) > errors:
        return None
    if (anchor["start_block"], anchor["start_offset"]) > (
        anchor["end_block"],
        anchor["end_offset"],
    ):
        reader.fail(where, "the anchor ends before it starts")
    return anchor


def _read_highlight(reader: _Reader, item: dict, where: str) -> dict:
    record: dict = {"uid": reader.uid(item.get("id"), f"{where}.id")}
    record["author"] = reader.creator(item, where)
    record["created"] = reader.moment(item, "created", where)
    record["updated"] = reader.moment(item, "modified", where, required=False) or record["created"]
    record["deleted_at"] = reader.moment(item, "gloss:deleted", where, required=False)
    bodies = _bodies(item)
    record["note"] = (_textual(bodies, "commenting") or "").strip()
    record["label"] = _textual(bodies, "classifying") or ""
    deleted = record["deleted_at"] is not None
    if deleted and (record["note"] or record["label"]):
        reader.fail(where, "a deleted highlight carries no note and no label")
    if not deleted and record["label"] not in LABELS:
        reader.fail(f"{where}.body", f"needs a classifying body: one of {', '.join(LABELS)}")
    target = item.get("target")
    if not isinstance(target, dict):
        reader.fail(f"{where}.target", "expected an object with a source and selectors")
        target = {}
    slug = target.get("gloss:article")
    if not isinstance(slug, str) or not slug:
        slug = reader.prefixed(target.get("source"), "urn:gloss:article:", f"{where}.target")
    record["article"] = slug
    selectors = target.get("selector") or []
    if isinstance(selectors, dict):
        selectors = [selectors]  # W3C allows one selector on its own
    if not isinstance(selectors, list):
        reader.fail(f"{where}.target.selector", "expected a list of selectors")
        selectors = []
    quote = next(
        (s for s in selectors if isinstance(s, dict) and s.get("type") == "TextQuoteSelector"),
        None,
    )
    if deleted:
        record["exact"] = record["prefix"] = record["suffix"] = ""
        if quote is not None:
            reader.fail(f"{where}.target", "a deleted highlight carries no quote")
    else:
        if quote is None:
            reader.fail(f"{where}.target.selector", "needs a TextQuoteSelector")
            quote = {}
        record["exact"] = reader.text(quote, "exact", f"{where}.target.selector")
        record["prefix"] = reader.text(
            quote,
            "prefix",
            f"{where}.target.selector",
            required=False,
            max_length=CONTEXT_MAX_LENGTH,
        )
        record["suffix"] = reader.text(
            quote,
            "suffix",
            f"{where}.target.selector",
            required=False,
            max_length=CONTEXT_MAX_LENGTH,
        )
        if isinstance(record["exact"], str) and not record["exact"].strip():
            reader.fail(f"{where}.target.selector.exact", "the quote is empty")
    record["anchor"] = _anchor(reader, item.get("gloss:anchor"), f"{where}.gloss:anchor")
    if record["anchor"] and not deleted:
        a = record["anchor"]
        if (a["start_block"], a["start_offset"]) == (a["end_block"], a["end_offset"]):
            reader.fail(f"{where}.gloss:anchor", "the anchor is empty")
    record["anchored_revision"] = reader.number(
        item, "gloss:anchoredRevision", where, required=False, default=1, minimum=1
    )
    record["approximate"] = reader.flag(item, "gloss:approximate", where)
    record["visibility"] = reader.text(
        item, "gloss:visibility", where, required=False, default="public", choices=VISIBILITIES
    )
    klass = item.get("gloss:classroom")
    record["classroom"] = (
        reader.prefixed(klass, "urn:gloss:classroom:", f"{where}.gloss:classroom")
        if klass is not None
        else None
    )
    assignment = item.get("gloss:assignment")
    record["assignment"] = None
    if assignment is not None:
        record["assignment"] = {
            "classroom": reader.text(assignment, "classroom", f"{where}.gloss:assignment"),
            "article": reader.text(assignment, "article", f"{where}.gloss:assignment"),
        }
    visibility = record["visibility"]
    if visibility in ("class", "key") and not record["classroom"]:
        reader.fail(where, f"visibility {visibility!r} needs a gloss:classroom")
    if visibility == "key" and not record["assignment"]:
        reader.fail(where, "an answer key needs a gloss:assignment")
    if visibility == "private" and record["classroom"]:
        reader.fail(where, "a private note belongs to no class")
    record["hidden"] = reader.flag(item, "gloss:hidden", where)
    record["resolved"] = reader.flag(item, "gloss:resolved", where)
    record["helpful"] = reader.helpful(item, where)
    return record


def _read_reply(reader: _Reader, item: dict, where: str) -> dict:
    record: dict = {"uid": reader.uid(item.get("id"), f"{where}.id")}
    record["author"] = reader.creator(item, where)
    record["created"] = reader.moment(item, "created", where)
    record["updated"] = reader.moment(item, "modified", where, required=False) or record["created"]
    target = reader.uid(item.get("target"), f"{where}.target")
    thread = item.get("gloss:thread")
    record["annotation"] = reader.uid(thread, f"{where}.gloss:thread") if thread else target
    record["parent"] = target if target != record["annotation"] else None
    record["deleted"] = reader.flag(item, "gloss:deleted", where)
    body = item.get("body")
    value = body.get("value") if isinstance(body, dict) else None
    if record["deleted"]:
        if body is not None:
            reader.fail(f"{where}.body", "a deleted reply carries no body")
        record["body"] = ""
    elif not isinstance(value, str) or not value.strip():
        reader.fail(f"{where}.body", "a reply needs a TextualBody with its text")
        record["body"] = ""
    else:
        record["body"] = value
    stance = item.get("gloss:stance") or ""
    if stance not in STANCES:
        reader.fail(
            f"{where}.gloss:stance", f"{stance!r:.40} is not one of agree, disagree, question"
        )
    if record["deleted"] and stance:
        reader.fail(f"{where}.gloss:stance", "a deleted reply has no stance")
    record["stance"] = stance if stance in STANCES else ""
    answered = item.get("gloss:answeredBy")
    record["answered_by"] = reader.uid(answered, f"{where}.gloss:answeredBy") if answered else None
    record["hidden"] = reader.flag(item, "gloss:hidden", where)
    record["edited"] = reader.flag(item, "gloss:edited", where)
    record["helpful"] = reader.helpful(item, where)
    return record


def _read_link(reader: _Reader, item: dict, where: str) -> dict:
    record: dict = {"uid": reader.uid(item.get("id"), f"{where}.id")}
    record["author"] = reader.creator(item, where)
    record["created"] = reader.moment(item, "created", where)
    record["claim"] = reader.uid(item.get("target"), f"{where}.target")
    bodies = _bodies(item)
    evidence = [b for b in bodies if isinstance(b, str)]
    if len(evidence) != 1:
        reader.fail(f"{where}.body", "a link needs exactly one body naming the evidence")
        record["evidence"] = None
    else:
        record["evidence"] = reader.uid(evidence[0], f"{where}.body")
    if record["evidence"] and record["evidence"] == record["claim"]:
        reader.fail(where, "evidence can't be linked to itself")
    record["justification"] = (_textual(bodies, "commenting") or "").strip()
    if len(record["justification"]) > JUSTIFICATION_MAX_LENGTH:
        reader.fail(f"{where}.body", f"justification over {JUSTIFICATION_MAX_LENGTH} characters")
    record["relation"] = reader.text(item, "gloss:relation", where, choices=RELATIONS)
    return record


def _read_article(reader: _Reader, value: dict, where: str) -> dict:
    record = {"slug": reader.text(value, "slug", where)}
    if isinstance(record["slug"], str) and not re.fullmatch(r"[-\w]{1,120}", record["slug"]):
        reader.fail(f"{where}.slug", "not a slug (letters, digits, - and _, at most 120)")
    record["title"] = reader.text(value, "title", where, max_length=TITLE_MAX_LENGTH)
    # Column sizes again: (key, name in the file, longest).
    for key, name, longest in [
        ("standfirst", "standfirst", None),
        ("author", "author", 200),
        ("source_name", "sourceName", 200),
        ("source_url", "sourceUrl", 200),
        ("article_type", "articleType", 100),
    ]:
        record[key] = reader.text(value, name, where, required=False, max_length=longest)
    record["import_key"] = reader.get(value, "importKey", where, str, required=False)
    if record["import_key"] and len(record["import_key"]) > 300:
        reader.fail(f"{where}.importKey", "longer than 300 characters")
    published = reader.get(value, "published", where, dict, required=False, default={})
    for part in ("year", "month", "day"):
        record[f"published_{part}"] = reader.number(
            published, part, f"{where}.published", required=False, default=None, minimum=1
        )
    record["status"] = reader.text(
        value, "status", where, required=False, default="published", choices=STATUSES
    )
    record["created"] = reader.moment(value, "created", where, required=False)
    record["updated"] = reader.moment(value, "modified", where, required=False)
    separator = value.get("blockSeparator", BLOCK_SEPARATOR) if isinstance(value, dict) else None
    if separator != BLOCK_SEPARATOR:
        reader.fail(f"{where}.blockSeparator", f"must be {BLOCK_SEPARATOR!r}")
    blocks = reader.get(value, "blocks", where, list, default=[])
    record["blocks"] = []
    for i, block in enumerate(blocks):
        at = f"{where}.blocks[{i}]"
        record["blocks"].append(
            {
                "kind": reader.text(
                    block, "kind", at, required=False, default="paragraph", choices=BLOCK_KINDS
                ),
                "text": reader.text(block, "text", at),
                "revision": reader.number(
                    block, "revision", at, required=False, default=1, minimum=1
                ),
            }
        )
    if not record["blocks"]:
        reader.fail(f"{where}.blocks", "an article needs at least one block")
    return record


def _read_classroom(reader: _Reader, value: dict, where: str) -> dict:
    record = {
        "join_code": reader.text(value, "joinCode", where),
        "name": reader.text(value, "name", where, max_length=CLASS_NAME_MAX_LENGTH),
        "anonymous_students": reader.flag(value, "anonymousStudents", where),
        "created": reader.moment(value, "created", where, required=False),
        "members": [],
    }
    if isinstance(record["join_code"], str) and not re.fullmatch(
        r"[A-Z0-9]{1,8}", record["join_code"]
    ):
        reader.fail(f"{where}.joinCode", "not a join code (up to 8 capital letters or digits)")
    seen_users, seen_numbers = set(), set()
    for i, member in enumerate(
        reader.get(value, "members", where, list, required=False, default=[])
    ):
        at = f"{where}.members[{i}]"
        entry = {
            "username": reader.text(member, "user", at),
            "role": reader.text(member, "role", at, choices=ROLES),
            "number": reader.number(member, "number", at, minimum=1),
            "joined": reader.moment(member, "joined", at, required=False),
        }
        if entry["username"] in seen_users:
            reader.fail(at, f"{entry['username']} is a member twice")
        if entry["number"] in seen_numbers:
            reader.fail(at, f"number {entry['number']} is used twice")
        seen_users.add(entry["username"])
        seen_numbers.add(entry["number"])
        record["members"].append(entry)
    return record


def _read_assignment(reader: _Reader, value: dict, where: str) -> dict:
    return {
        "classroom": reader.text(value, "classroom", where),
        "article": reader.text(value, "article", where),
        "instructions": reader.text(value, "instructions", where, required=False),
        "due": reader.moment(value, "due", where, required=False),
        "reveal_after": reader.number(value, "revealAfter", where, required=False),
        "min_annotations": reader.number(value, "minAnnotations", where, required=False, default=3),
        "min_replies": reader.number(value, "minReplies", where, required=False, default=1),
        "created": reader.moment(value, "created", where, required=False),
    }


def from_document(document) -> dict:
    """Plain records from a document written by `to_document` (or a bare list of annotations).

    Checks everything that can be checked without the database: shapes, values, and that the
    file agrees with itself (anchors fit the articles it carries, replies and links point at
    annotations it names or that the database must then hold). Raises FormatError.
    """
    reader = _Reader()
    if isinstance(document, list):
        document = {
            "@context": CONTEXT,
            "type": "AnnotationCollection",
            "first": {"items": document},
        }
    if not isinstance(document, dict):
        raise FormatError(["the file: expected a JSON object (an AnnotationCollection)"])
    if not _has_anno_context(document.get("@context")):
        reader.fail("@context", f"must include {ANNO_CONTEXT}")
    if document.get("type") != "AnnotationCollection":
        reader.fail("type", "expected AnnotationCollection")
    version = document.get("gloss:formatVersion", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        reader.fail(
            "gloss:formatVersion", f"this Gloss reads version {FORMAT_VERSION}, not {version!r}"
        )
    data: dict = {
        k: []
        for k in (
            "users",
            "articles",
            "classrooms",
            "assignments",
            "annotations",
            "replies",
            "links",
        )
    }
    for i, user in enumerate(reader.get(document, "gloss:users", "", list, False, [])):
        at = f"gloss:users[{i}]"
        name = reader.text(user, "nickname", at, max_length=150)
        if isinstance(name, str) and not re.fullmatch(r"[\w.@+-]{1,150}", name):
            reader.fail(f"{at}.nickname", "not a username")
        data["users"].append(
            {
                "username": name,
                "name": reader.text(user, "name", at, required=False, max_length=150),
            }
        )
    for i, value in enumerate(reader.get(document, "gloss:articles", "", list, False, [])):
        data["articles"].append(_read_article(reader, value, f"gloss:articles[{i}]"))
    for i, value in enumerate(reader.get(document, "gloss:classrooms", "", list, False, [])):
        data["classrooms"].append(_read_classroom(reader, value, f"gloss:classrooms[{i}]"))
    for i, value in enumerate(reader.get(document, "gloss:assignments", "", list, False, [])):
        data["assignments"].append(_read_assignment(reader, value, f"gloss:assignments[{i}]"))
    page = reader.get(document, "first", "", dict, default={})
    items = reader.get(page, "items", "first", list, default=[])
    for i, item in enumerate(items):
        where = f"first.items[{i}]"
        if not isinstance(item, dict):
            reader.fail(where, "expected an object")
            continue
        if item.get("type") != "Annotation":
            reader.fail(f"{where}.type", "expected Annotation")
            continue
        if not _has_anno_context(item.get("@context", CONTEXT)):
            reader.fail(f"{where}.@context", f"must include {ANNO_CONTEXT}")
        motivation = item.get("motivation", "highlighting")
        if motivation in HIGHLIGHT_MOTIVATIONS:
            data["annotations"].append(_read_highlight(reader, item, where))
        elif motivation == "replying":
            data["replies"].append(_read_reply(reader, item, where))
        elif motivation == "linking":
            data["links"].append(_read_link(reader, item, where))
        else:
            reader.fail(f"{where}.motivation", f"{motivation!r:.40} is not one we store")
    if not reader.errors:
        _check_consistency(reader, data)
    if reader.errors:
        raise FormatError(reader.errors)
    return data


def _duplicates(values: Iterable) -> set:
    seen, twice = set(), set()
    for value in values:
        (twice if value in seen else seen).add(value)
    return twice


def _check_consistency(reader: _Reader, data: dict) -> None:
    """What the file says about itself: no id twice, threads and anchors that hold."""
    for section, key in [("users", "username"), ("articles", "slug"), ("classrooms", "join_code")]:
        for value in _duplicates(r[key] for r in data[section]):
            reader.fail(f"gloss:{section}", f"{value} appears twice")
    for value in _duplicates((a["classroom"], a["article"]) for a in data["assignments"]):
        reader.fail("gloss:assignments", f"{value[0]} has {value[1]} twice")
    all_uids = [r["uid"] for s in ("annotations", "replies", "links") for r in data[s]]
    for value in _duplicates(all_uids):
        reader.fail("first.items", f"{uid_urn(value)} appears twice")
    blocks = {a["slug"]: [b["text"] for b in a["blocks"]] for a in data["articles"]}
    for record in data["annotations"]:
        if record["article"] in blocks:
            problem = anchor_problem(blocks[record["article"]], record)
            if problem:
                reader.fail(uid_urn(record["uid"]), problem)
    replies = {r["uid"]: r for r in data["replies"]}
    for record in data["replies"]:
        where = uid_urn(record["uid"])
        parent = replies.get(record["parent"]) if record["parent"] else None
        if record["parent"] and parent is None:
            reader.fail(where, "it answers a reply that is not in the file")
        elif parent and parent["annotation"] != record["annotation"]:
            reader.fail(where, "it answers a reply in another thread")
        answer = replies.get(record["answered_by"]) if record["answered_by"] else None
        if record["answered_by"] and (answer is None or answer["parent"] != record["uid"]):
            reader.fail(where, "gloss:answeredBy must be one of the replies to it")
    # A reply's parent chain must end: no reply under itself.
    for record in data["replies"]:
        seen, current = set(), record
        while current and current["parent"]:
            if current["uid"] in seen:
                reader.fail(uid_urn(record["uid"]), "its replies go round in a circle")
                break
            seen.add(current["uid"])
            current = replies.get(current["parent"])
