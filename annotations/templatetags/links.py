from collections import Counter
from collections.abc import Iterable

from django import template

from annotations.models import EvidenceLink, LinkRelation

register = template.Library()


@register.simple_tag
def relation_counts(links: Iterable[EvidenceLink]) -> dict[str, int]:
    """{"supports": n, "refutes": m, "qualifies": k} over links already fetched: no query."""
    counts = Counter(link.relation for link in links)
    return {relation: counts[relation] for relation in LinkRelation.values}
