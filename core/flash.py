"""Pages that run one service and tell the user how it went (Django messages)."""

from django.contrib import messages

from core.errors import BusinessRuleError


def run_and_report(request, action, success, *, details=False):
    """Run `action` (one service call) for a page. A refusal becomes an error message (with the
    refusal's field details when `details`); otherwise `success`, or `success(result)` when it is
    callable, becomes a success message. Returns the service's result, or None when it refused."""
    try:
        result = action()
    except BusinessRuleError as error:
        detail = ""
        if details:
            detail = "；".join(str(message) for message in error.details.values() if str(message) != str(error.message))
        messages.error(request, f"{error.message}{'：' + detail if detail else ''}")
        return None
    messages.success(request, success(result) if callable(success) else success)
    return result


def show_refusal_on_form(form, error):
    """Show a service's refusal on the form: under the fields it names (details for other names at
    the top), and its message at the top when it names none of the form's fields."""
    for field, message in (error.details or {}).items():
        form.add_error(field if field in form.fields else None, message)
    if not error.details or not set(error.details) & set(form.fields):
        form.add_error(None, error.message)
