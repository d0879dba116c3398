from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers

from core import context


class RequestContextMiddleware:
    """Remember the client's IP for the audit trail while the request runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = context.begin(context.RequestContext(ip_address=context.client_ip(request)))
        try:
            return self.get_response(request)
        finally:
            context.end(token)


class LanguageMiddleware:
    """Chinese unless the visitor chose English with the language switcher (its cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language, and most browsers in
    Chinese offices still say en-US; the platform's default is Simplified Chinese (SPEC).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ["Cookie"])
        return response


class NotificationReadMiddleware:
    """A signed-in member who opens the page a notification links to has read it."""

    SKIP = ("/api/", "/static/", "/media/", "/jsi18n/", "/healthz", "/ping")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (request.method == "GET" and request.user.is_authenticated and not request.headers.get("HX-Request")
                and not request.path.startswith(self.SKIP)):
            from core.notifications import mark_read_on_visit

            mark_read_on_visit(user=request.user, path=request.path)
        return self.get_response(request)
