"""Pages that sign business owners and their teams in by magic link.

Asking for a link answers the same whether or not the address is known. A
link opens a confirm page, and only that page's button (a POST) signs in and
spends the link, because mail scanners open links too.
"""

from django import forms
from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited

from accounts import selectors, services, tasks


class MagicLinkRequestForm(forms.Form):
    email = forms.EmailField(max_length=254, label="Your email")


def magic_link_request_limited(request: HttpRequest, email: str) -> bool:
    """Count one request for a link against the client's address and the email; True when over either.

    The page and the API use the same groups, so both ways in draw on one allowance.
    """
    return is_ratelimited(
        request, group="magic-link-ip", key="ip", rate=settings.MAGIC_LINK_RATE_PER_IP, increment=True
    ) or is_ratelimited(
        request,
        group="magic-link-email",
        key=lambda group, request: email.strip().lower(),
        rate=settings.MAGIC_LINK_RATE_PER_EMAIL,
        increment=True,
    )


def _token_name() -> str:
    return settings.SESAME_TOKEN_NAME


@never_cache
@require_http_methods(["GET", "POST"])
def login_page(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "accounts/login.html", {"form": MagicLinkRequestForm()})
    form = MagicLinkRequestForm(request.POST)
    if not form.is_valid():
        return render(request, "accounts/login.html", {"form": form}, status=400)
    email = form.cleaned_data["email"]
    if magic_link_request_limited(request, email):
        return render(request, "accounts/rate_limited.html", status=429)
    # Only enqueue: the task finds out whether the address is known, so this
    # answer takes the same time and reads the same for every address.
    tasks.magic_link_email_send.delay(email=email)
    return render(request, "accounts/link_sent.html", {"email": email})


@never_cache
@require_http_methods(["GET", "POST"])
def magic_link_confirm(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _sign_in(request, request.POST.get(_token_name(), ""))
    token = request.GET.get(_token_name(), "")
    link_user = services.magic_link_user(token=token) if token else None
    if link_user is None:
        return _invalid_link(request)
    return render(
        request,
        "accounts/magic_link_confirm.html",
        {"token": token, "token_name": _token_name(), "link_user": link_user},
    )


def _sign_in(request: HttpRequest, token: str) -> HttpResponse:
    user = services.magic_link_redeem(token=token) if token else None
    if user is None:
        return _invalid_link(request)
    # login() replaces whoever was signed in on this browser by the link's user.
    login(request, user)
    return redirect(settings.LOGIN_REDIRECT_URL)


def _invalid_link(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/invalid_link.html", {"form": MagicLinkRequestForm()}, status=400)


@login_required
def signed_in(request: HttpRequest) -> HttpResponse:
    memberships = selectors.memberships_of_user(request.user)
    return render(request, "accounts/signed_in.html", {"memberships": memberships})


@require_POST
def logout_page(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)
