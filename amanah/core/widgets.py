"""The form renderer (``settings.FORM_RENDERER``): Django's own Jinja2 widget templates, in
front of them the few this project writes differently for speed (``core/jinja2/``)."""

from pathlib import Path

import django.forms
from django.forms.renderers import Jinja2
from django.utils.functional import cached_property

OWN = Path(__file__).resolve().parent / "jinja2"
DJANGO = Path(django.forms.__file__).resolve().parent / "jinja2"


class WidgetRenderer(Jinja2):
    """Widgets through Jinja2 (about a fifth of the Python the Django template engine spends
    on them). Django's renderer puts its own templates first, so an app's ``jinja2/`` folder
    cannot replace one of them; this one searches ``core/jinja2`` first."""

    @cached_property
    def engine(self):
        return self.backend(
            {"APP_DIRS": False, "DIRS": [OWN, DJANGO], "NAME": "djangoforms", "OPTIONS": {}}
        )
