from django import forms
from django.contrib.auth.models import User

from articles.models import Article

from .models import CODE_LENGTH, Assignment, Classroom


class ClassroomForm(forms.ModelForm):
    class Meta:
        model = Classroom
        fields = ["name", "anonymous_students"]
        labels = {"name": "Class name"}
        help_texts = {
            "anonymous_students": "Students then see each other as “Student 1”, “Student 2”…; "
            "teachers always see names.",
        }
        error_messages = {"name": {"required": "Give the class a name, e.g. “9B English”."}}


class JoinForm(forms.Form):
    code = forms.CharField(
        label="Join code",
        max_length=CODE_LENGTH + 4,
        error_messages={"required": "Enter the code your teacher gave you."},
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split()).upper()
        if not Classroom.objects.filter(join_code=code).exists():
            raise forms.ValidationError(
                "No class has that code. Check it with your teacher: codes can be changed."
            )
        return code


class AddTeacherForm(forms.Form):
    username = forms.CharField(label="Username of the co-teacher", max_length=150)

    def clean_username(self) -> User:
        user = User.objects.filter(username=self.cleaned_data["username"].strip()).first()
        if user is None:
            raise forms.ValidationError("Nobody has that username. They need to sign up first.")
        return user


class AssignmentForm(forms.ModelForm):
    due = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )

    class Meta:
        model = Assignment
        fields = [
            "article",
            "instructions",
            "due",
            "reveal_after",
            "min_annotations",
            "min_replies",
        ]
        labels = {
            "reveal_after": "Hide classmates’ highlights until a student has posted",
            "min_annotations": "Highlights needed to be done",
            "min_replies": "Replies needed to be done",
        }
        help_texts = {"reveal_after": "0 shows them from the start. Teachers always see all."}
        widgets = {"instructions": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, classroom: Classroom, **kwargs):
        super().__init__(*args, **kwargs)
        self.classroom = classroom
        self.fields["article"].queryset = Article.objects.published().order_by("title")
        self.fields["article"].empty_label = "Choose an article…"
        self.fields["article"].error_messages["required"] = "Choose an article to read."

    def clean_article(self) -> Article:
        article = self.cleaned_data["article"]
        if Assignment.objects.filter(classroom=self.classroom, article=article).exists():
            raise forms.ValidationError("This class already has that article as an assignment.")
        return article
