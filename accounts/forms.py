from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from accounts import signin


class ThrottledAuthenticationForm(AuthenticationForm):
    """The login form, saying so when the sign-in limit refused the attempt."""

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            wait = getattr(self.request, signin.THROTTLED_ATTR, None)
            if wait:
                raise forms.ValidationError(
                    "Too many sign-in attempts. Try again in %(seconds)s seconds.",
                    code="throttled",
                    params={"seconds": wait},
                ) from None
            raise

    @property
    def retry_after(self) -> int | None:
        return getattr(self.request, signin.THROTTLED_ATTR, None)
