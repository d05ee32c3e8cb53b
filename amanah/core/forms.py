"""Form helpers every app's views share."""

from __future__ import annotations

from django import forms

from amanah.core.errors import ServiceError


def add_service_error(form: forms.Form, error: ServiceError) -> None:
    """Show a service's refusal next to the field it names (or at the top of the form)."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


def first_error(form: forms.Form) -> str:
    """The first message of an invalid form, for pages that answer with a flash message."""
    for errors in form.errors.values():
        if errors:
            return str(errors[0])
    return ""
