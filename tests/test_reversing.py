"""The card's URL shortcuts give exactly what Django's own tags and filters give."""

import pytest
from django.template.defaultfilters import truncatechars
from django.urls import reverse, set_script_prefix
from hypothesis import given
from hypothesis import strategies as st

from annotations.templatetags.gloss import clip
from config.reversing import reverse_pk

CARD_URLS = [
    "annotations:card",
    "annotations:edit",
    "annotations:delete",
    "annotations:thread",
    "annotations:reply",
    "annotations:resolve",
    "annotations:annotation_helpful",
    "annotations:reply_helpful",
    "annotations:reply_edit",
    "annotations:reply_delete",
    "annotations:mark_answer",
    "links:delete",
    "links:picker",
    "classrooms:hide_annotation",
    "classrooms:hide_reply",
    "classrooms:flag_annotation",
    "classrooms:flag_reply",
]


@pytest.mark.parametrize("name", CARD_URLS)
@pytest.mark.parametrize("pk", [0, 1, 42, 987654321987654321, 10**30])
def test_it_reverses_like_reverse(name, pk):
    assert reverse_pk(name, pk) == reverse(name, args=[pk])


def test_it_follows_the_script_prefix():
    try:
        set_script_prefix("/gloss/")
        assert reverse_pk("annotations:edit", 7) == "/gloss/annotations/7/edit/"
        assert reverse_pk("annotations:edit", 7) == reverse("annotations:edit", args=[7])
    finally:
        set_script_prefix("/")
    assert reverse_pk("annotations:edit", 7) == "/annotations/7/edit/"


# Combining marks, decomposed letters NFC composes, and the ellipsis itself.
TEXT = st.text(alphabet=st.sampled_from("ab é\u0301e\u0301\u0308…“”𝒳\n"), max_size=60)


@given(TEXT, st.integers(min_value=-2, max_value=70))
def test_it_clips_like_truncatechars(text, length):
    assert clip(text, length) == truncatechars(text, length)
