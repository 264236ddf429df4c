from django import forms

from .models import (
    NOTE_MAX_LENGTH,
    QUOTE_MAX_LENGTH,
    REPLY_MAX_LENGTH,
    Annotation,
    Label,
    Reply,
    Stance,
)

LABEL_ERRORS = {
    "required": "Choose Claim, Evidence or Opinion.",
    "invalid_choice": "Choose Claim, Evidence or Opinion.",
}
NOTE_ERRORS = {"max_length": f"Keep the note under {NOTE_MAX_LENGTH:,} characters."}


class SelectionForm(forms.Form):
    """A mouse selection: block positions (1-based), code-point offsets and the quote."""

    start_block = forms.IntegerField(min_value=1)
    start_offset = forms.IntegerField(min_value=0)
    end_block = forms.IntegerField(min_value=1)
    end_offset = forms.IntegerField(min_value=0)
    exact = forms.CharField(
        max_length=QUOTE_MAX_LENGTH,
        strip=False,
        error_messages={
            "required": "Select some text first.",
            "max_length": f"That selection is too long: keep it under {QUOTE_MAX_LENGTH:,} "
            "characters.",
        },
    )
    prefix = forms.CharField(max_length=64, required=False, strip=False)
    suffix = forms.CharField(max_length=64, required=False, strip=False)
    label = forms.ChoiceField(choices=Label, error_messages=LABEL_ERRORS)
    note = forms.CharField(
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea,
        error_messages=NOTE_ERRORS,
    )
    submission_key = forms.UUIDField(required=False)
    visibility = forms.CharField(max_length=30, required=False)

    def clean_exact(self) -> str:
        exact = _plain_newlines(self.cleaned_data["exact"])
        if not exact.strip():
            raise forms.ValidationError("Select some text first: only spaces were selected.")
        return exact

    def clean_prefix(self) -> str:
        return _plain_newlines(self.cleaned_data["prefix"])

    def clean_suffix(self) -> str:
        return _plain_newlines(self.cleaned_data["suffix"])


def _plain_newlines(text: str) -> str:
    """Browsers encode a form's line breaks as CRLF; articles break paragraphs with LF."""
    return text.replace("\r\n", "\n")


class SentenceRangeForm(forms.Form):
    """The keyboard path: a range of one paragraph's sentences."""

    first_sentence = forms.TypedChoiceField(coerce=int, label="From sentence")
    last_sentence = forms.TypedChoiceField(coerce=int, label="To sentence")
    label = forms.ChoiceField(choices=Label, widget=forms.RadioSelect, error_messages=LABEL_ERRORS)
    note = forms.CharField(
        max_length=NOTE_MAX_LENGTH,
        required=False,
        error_messages=NOTE_ERRORS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    submission_key = forms.UUIDField(widget=forms.HiddenInput, required=False)
    visibility = forms.CharField(max_length=30, required=False)

    def __init__(self, *args, sentences: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(i, f"{i}. {_excerpt(s)}") for i, s in enumerate(sentences, start=1)]
        self.fields["first_sentence"].choices = choices
        self.fields["last_sentence"].choices = choices
        if choices:
            self.fields["last_sentence"].initial = choices[0][0]

    def clean(self):
        data = super().clean()
        first, last = data.get("first_sentence"), data.get("last_sentence")
        if first is not None and last is not None and last < first:
            raise forms.ValidationError("The last sentence must come after the first one.")
        return data


class AnnotationEditForm(forms.ModelForm):
    class Meta:
        model = Annotation
        fields = ["label", "note"]
        widgets = {"label": forms.RadioSelect, "note": forms.Textarea(attrs={"rows": 3})}
        error_messages = {"label": LABEL_ERRORS, "note": NOTE_ERRORS}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["note"].max_length = NOTE_MAX_LENGTH
        self.fields["note"].validators.append(
            forms.fields.validators.MaxLengthValidator(NOTE_MAX_LENGTH)
        )


def _excerpt(text: str, length: int = 70) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


REPLY_ERRORS = {
    "required": "Write something before posting.",
    "max_length": f"Keep replies under {REPLY_MAX_LENGTH:,} characters.",
}


class ReplyForm(forms.Form):
    body = forms.CharField(
        label="Reply",
        max_length=REPLY_MAX_LENGTH,
        error_messages=REPLY_ERRORS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    stance = forms.ChoiceField(
        choices=[("", "No stance"), *Stance.choices],
        required=False,
        widget=forms.RadioSelect,
        label="Your stance",
        error_messages={"invalid_choice": "Choose Agree, Disagree, Question or no stance."},
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    submission_key = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def clean_body(self) -> str:
        body = self.cleaned_data["body"].strip()
        if not body:
            raise forms.ValidationError(REPLY_ERRORS["required"])
        return body


class ReplyEditForm(forms.ModelForm):
    class Meta:
        model = Reply
        fields = ["body"]
        labels = {"body": "Reply"}
        widgets = {"body": forms.Textarea(attrs={"rows": 3})}
        error_messages = {"body": REPLY_ERRORS}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].max_length = REPLY_MAX_LENGTH
        self.fields["body"].validators.append(
            forms.fields.validators.MaxLengthValidator(REPLY_MAX_LENGTH)
        )
