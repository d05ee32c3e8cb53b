"""The list editor: one row per node (key, type, label, configuration, ways out), plain form
fields a keyboard reaches in order; a few empty rows add nodes, clearing a key drops one."""

from __future__ import annotations

import json
import re

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amanah.journeys.models import NodeType

EMPTY_ROWS = 3
MAX_ROWS = 200 + EMPTY_ROWS  # graph.MAX_NODES and the empty rows
WAY = re.compile(r"(?:([A-Za-z0-9_-]{1,32})=)?([A-Za-z0-9_-]{1,32})")


class JourneyCreateForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Nama journey"), max_length=120)
    description = forms.CharField(
        label=gettext_lazy("Deskripsi"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


def _ways(text: str) -> list[tuple[str, str]]:
    """``"w1"`` → one unlabelled way; ``"YES=s NO=u"`` / ``"A=a2, B=e2"`` → labelled ways."""
    ways = []
    for token in re.split(r"[\s,]+", text.strip()):
        if not token:
            continue
        match = WAY.fullmatch(token)
        if match is None:
            raise forms.ValidationError(_("Tulis tujuan sebagai kunci simpul atau LABEL=kunci."))
        ways.append((match.group(1) or "", match.group(2)))
    return ways


class GraphEditorForm(forms.Form):
    """Rows ``0 … n-1``: ``key_i``, ``type_i``, ``label_i``, ``config_i`` (JSON), ``next_i``."""

    name = forms.CharField(label=gettext_lazy("Nama journey"), max_length=120)

    def __init__(self, *args, rows: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        for i in range(rows):
            self.fields[f"key_{i}"] = forms.CharField(
                label=gettext_lazy("Kunci"), max_length=32, required=False
            )
            self.fields[f"type_{i}"] = forms.ChoiceField(
                label=gettext_lazy("Jenis"), choices=NodeType.choices, required=False
            )
            self.fields[f"label_{i}"] = forms.CharField(
                label=gettext_lazy("Label"), max_length=80, required=False
            )
            self.fields[f"config_{i}"] = forms.CharField(
                label=gettext_lazy("Konfigurasi (JSON)"),
                required=False,
                max_length=4000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[f"next_{i}"] = forms.CharField(
                label=gettext_lazy("Lanjut ke"), max_length=400, required=False
            )
            for name in ("key", "type", "label", "config", "next"):
                field = self.fields[f"{name}_{i}"]
                field.widget.attrs["aria-label"] = f"{field.label} {i + 1}"

    @classmethod
    def initial_from(cls, journey, graph: dict) -> dict:
        initial = {"name": journey.name}
        out: dict[str, list[str]] = {}
        for e in graph["edges"]:
            out.setdefault(e["source"], []).append(
                f"{e['label']}={e['target']}" if e["label"] else e["target"]
            )
        for i, n in enumerate(graph["nodes"]):
            initial.update(
                {
                    f"key_{i}": n["key"],
                    f"type_{i}": n["type"],
                    f"label_{i}": n["label"],
                    f"config_{i}": json.dumps(n["config"], ensure_ascii=False),
                    f"next_{i}": " ".join(out.get(n["key"], [])),
                }
            )
        return initial

    def row_fields(self):
        return [
            [self[f"{name}_{i}"] for name in ("key", "type", "label", "config", "next")]
            for i in range(self.rows)
        ]

    def clean(self):
        data = super().clean()
        nodes, edges = [], []
        for i in range(self.rows):
            key = (data.get(f"key_{i}") or "").strip()
            if not key:
                continue
            try:
                config = json.loads(data.get(f"config_{i}") or "{}")
            except ValueError:
                self.add_error(f"config_{i}", _("Konfigurasi bukan JSON yang sah."))
                continue
            try:
                ways = _ways(data.get(f"next_{i}") or "")
            except forms.ValidationError as error:
                self.add_error(f"next_{i}", error)
                continue
            nodes.append(
                {
                    "key": key,
                    "type": data.get(f"type_{i}") or "",
                    "label": data.get(f"label_{i}") or "",
                    "config": config,
                }
            )
            edges += [{"source": key, "target": t, "label": label} for label, t in ways]
        data["graph"] = {"nodes": nodes, "edges": edges}
        return data


class CanvasGraphForm(forms.Form):
    """The canvas posts the whole graph as one JSON text (``graph``); the service validates
    its content, this only reads it."""

    graph = forms.CharField(max_length=400_000)

    def clean_graph(self):
        try:
            graph = json.loads(self.cleaned_data["graph"])
        except ValueError as error:
            raise forms.ValidationError(_("Graf bukan JSON yang sah.")) from error
        if not isinstance(graph, dict):
            raise forms.ValidationError(_("Graf journey harus berupa objek."))
        return graph
