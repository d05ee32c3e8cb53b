from django.conf import settings
from django.utils import translation


class ChosenLanguageMiddleware:
    """Bahasa Indonesia unless the user chose otherwise (language cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language; bank PCs often run
    English Windows, yet staff should see the Indonesian UI until they switch themselves.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
