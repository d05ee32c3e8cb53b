"""Read the forms of an HTML page the way a browser would, so the load test submits what the
page offers (hidden fields, the first real choice of each select) and survives small changes
in field order or labels between the two code versions it compares."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    choices: dict[str, list[str]] = field(default_factory=dict)

    def filled(self, **values: str) -> dict[str, str]:
        """The form's own values (first non-empty choice of each select), then ``values``."""
        data = dict(self.fields)
        for name, options in self.choices.items():
            if not data.get(name):
                data[name] = next((o for o in options if o), "")
        data.update(values)
        return data


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        form = self.forms[-1] if self.forms else None
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower()))
        elif form is None:
            return
        elif tag == "input" and a.get("name") and a.get("type") not in ("submit", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            form.fields[a["name"]] = a.get("value", "")
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            form.choices.setdefault(self._select, [])
        elif tag == "option" and self._select:
            form.choices[self._select].append(a.get("value", ""))
            if "selected" in a:
                form.fields[self._select] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            form.fields[self._textarea] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self.forms:
            self.forms[-1].fields[self._textarea] += data


def forms_of(html: str, page_path: str = "") -> list[Form]:
    """The page's forms; a form without an action posts to the page itself."""
    parser = _Parser()
    parser.feed(html)
    for form in parser.forms:
        form.action = form.action or page_path
    return parser.forms


def form_ending(html: str, suffix: str, page_path: str = "") -> Form | None:
    """The first form whose action ends with ``suffix`` (e.g. ``/assign/``)."""
    return next((f for f in forms_of(html, page_path) if f.action.endswith(suffix)), None)
