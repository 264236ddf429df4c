"""Sign up, sign in (throttled), sign out."""

from django import forms
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from . import throttle


class SignupForm(UserCreationForm):
    display_name = forms.CharField(
        max_length=150,
        required=False,
        help_text="Shown beside your highlights and replies. Leave empty to use your username.",
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username",)

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        # Django's User has no display-name field; first_name carries it.
        user.first_name = self.cleaned_data["display_name"].strip()
        if commit:
            user.save()
        return user


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("password1", "password2")
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    if request.method == "POST" and (throttled := throttle.SIGNUP.hit(request)):
        return throttled
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome to Gloss, {user.first_name or user.username}.")
        return redirect(_safe_next(request))
    return render(request, "registration/signup.html", {"form": form, "next": _safe_next(request)})


@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("password")
def login(request: HttpRequest) -> HttpResponse:
    form = AuthenticationForm(request, data=request.POST or None)
    if request.method == "POST":
        # Failures only, per username (a guessing run on one account, however it is spelt) and
        # per address (one client trying many accounts).
        account = request.POST.get("username", "").strip().casefold()
        # Checked before the password, so a locked account cannot be probed further.
        if throttled := throttle.SIGN_IN_FAILURES.over(request, account):
            return throttled
        if form.is_valid():
            throttle.SIGN_IN_FAILURES.forget(account)
            auth_login(request, form.get_user())
            return redirect(_safe_next(request))
        throttle.SIGN_IN_FAILURES.count(request, account)
    return render(request, "registration/login.html", {"form": form, "next": _safe_next(request)})


logout = auth_views.LogoutView.as_view()
