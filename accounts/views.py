"""The login page (with sign-in limits) and "sign out everywhere"."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from accounts import services
from accounts.forms import ThrottledAuthenticationForm


class LoginView(auth_views.LoginView):
    authentication_form = ThrottledAuthenticationForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.has_error("__all__", "throttled"):
            response.status_code = 429
            response["Retry-After"] = str(form.retry_after)
        return response


@require_POST
@login_required
def sign_out_everywhere(request):
    services.sign_out_everywhere(request.user)
    logout(request)
    messages.success(request, "Signed out everywhere: every session and API token has ended.")
    return redirect("login")
