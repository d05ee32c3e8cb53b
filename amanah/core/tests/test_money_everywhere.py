"""Every field that holds rupiah reads money the house's one way (``core.money``; issue 50,
item 5) — in every form, every API operation's input and every import column.

A field *looks like money* when its name or label says so (``amount``, ``nominal``, ``harga``,
``tunggakan``, ``abonemen``, ``nilai``, ``Rp`` …). Such a field must be the money type
(``RupiahField``, ``Rupiah``/``RupiahSen``, ``ImportField(amount=…)``), or be listed below as
not money with the reason, or (text holding prices in a line, like tariff blocks) as structured
with a probe. So a new money field cannot slip past as an ``IntegerField`` or a ``Decimal``:
this test names it. Every money field found is then held to the rule: ``500.000``,
``Rp 1.500.000`` and ``1.500.000,00`` are read as meant; ``1,500`` (English thousands or three
decimals?) and a person's ``1500.00`` are refused with a message.

Forms are found by importing every module that declares a form class and walking
``forms.BaseForm``'s subclasses; fields added in ``__init__`` are found in the source (``ast``):
an ``IntegerField``/``DecimalField``/``FloatField`` made anywhere with a money name or label.
API inputs are the models django-ninja builds for each operation, walked into nested schemas;
import columns are the fields of ``registry.import_targets``.
"""

from __future__ import annotations

import ast
import importlib
import re
import typing
from decimal import Decimal
from pathlib import Path

import pytest
from django import forms
from django.core.exceptions import ValidationError
from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as SchemaError

from amanah.core import registry
from amanah.core.fields import RupiahField
from amanah.core.money import RUPIAH_INVALID, Amount

AMANAH = Path(__file__).resolve().parents[2]
MONEY = re.compile(
    r"amount|nominal|jumlah|harga|price|tarif|abonemen|tunggakan|outstanding|arrears|nilai|"
    r"value|total|biaya|cost|fee|charge|denda|saldo|balance|setoran|deposit|rupiah|\brp\b|"
    r"\bidr\b|budget|anggaran|plafon|premi|bayar|paid|kredit|credit|debit|target",
    re.IGNORECASE,
)
# what each field must read as meant, and what it must refuse
READ = {"500.000": 500_000, "Rp 1.500.000": 1_500_000, "1.500.000,00": 1_500_000}
REFUSED_FROM_PEOPLE = ("1,500", "1500.00", "1.5", "sejuta")
REFUSED_FROM_MACHINES = ("1,500", "1,500,000", "1.50.000", "sejuta")

# Fields whose name or label sounds like money but that hold something else.
NOT_MONEY = {
    "amanah.calendars.forms.PreviewForm.amount": "a length of working time (minutes/hours/days)",
    "amanah.customers.forms.IdentifierAddForm.value": "a CIF, NIK or account number (text)",
    "amanah.customers.forms.IdentifierCorrectForm.value": "a CIF, NIK or account number (text)",
    "amanah.cases.forms.SlaPolicyForm.first_response_value": "an SLA target in working time",
    "amanah.cases.forms.SlaPolicyForm.resolution_value": "an SLA target in working time",
    "amanah.fieldops.forms.GenerateForm.min_days": "a number of days in arrears",
    "amanah.insight.forms.RuleForm.condition": "an NBA rule's conditions in JSON (JSON numbers)",
    "amanah.insight.forms.RuleForm.value": "an NBA rule's business-value weight, 0.01–10",
    "amanah.privacy.forms.CorrectionForm.new_value": "a corrected personal-data value (text)",
    "amanah.privacy.forms.BreachForm.subjects_affected": "a count of people",
    "amanah.utility.forms.ScheduleForm.count": "a count of installments",
    # import columns: "<target>.<field>"
    "customers.customers.has_credit_card": "a yes/no product flag",
    "customers.products.has_credit_card": "a yes/no product flag",
    "followup.deposits.external_ref": "the deposit's reference (text)",
    "followup.deposits.deposited_at": "a moment",
    "fieldops.loan_arrears.days_past_due": "a number of days",
    "fieldops.loan_arrears.last_payment_on": "a date",
}
# Text fields holding prices inside a line: how to put an amount in, and where it comes out.
STRUCTURED = {
    "amanah.utility.forms.TariffForm.blocks": ("0-10: {}\n10-: 9000", lambda v: v[0][2]),
    "amanah.utility.forms.RabForm.lines": ("Pipa PE; 2; {}", lambda v: v[0][2]),
}
_SKIPPED_TYPES = (
    forms.BooleanField,
    forms.ChoiceField,
    forms.DateField,
    forms.DateTimeField,
    forms.FileField,
    forms.UUIDField,
)


# --------------------------------------------------------------------------- forms


def _modules_declaring_forms() -> list[str]:
    found = []
    for path in sorted(AMANAH.rglob("*.py")):
        parts = path.relative_to(AMANAH.parent).parts
        if {"tests", "migrations", "e2e"} & set(parts):
            continue
        source = path.read_text()
        if "Form" not in source:
            continue
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ClassDef) and any("Form" in ast.unparse(b) for b in node.bases):
                found.append(".".join(Path(*parts).with_suffix("").parts))
                break
    return found


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _form_fields() -> dict[str, forms.Field]:
    for module in _modules_declaring_forms():
        importlib.import_module(module)
    fields = {}
    for cls in _subclasses(forms.BaseForm):
        if cls.__module__.startswith("amanah.") and ".tests." not in cls.__module__:
            for name, field in getattr(cls, "base_fields", {}).items():
                fields[f"{cls.__module__}.{cls.__qualname__}.{name}"] = field
    return fields


FORM_FIELDS = _form_fields()


def _looks_like_money(name: str, label) -> bool:
    return bool(MONEY.search(f"{name} {label or ''}"))


def test_the_walk_finds_the_forms_that_hold_money():
    assert isinstance(FORM_FIELDS["amanah.utility.forms.PaymentForm.amount"], RupiahField)
    assert len(FORM_FIELDS) > 300


def test_every_form_field_that_looks_like_money_is_a_rupiah_field():
    wrong = [
        f"{key} ({type(field).__name__}, {field.label!s})"
        for key, field in FORM_FIELDS.items()
        if not isinstance(field, (RupiahField, *_SKIPPED_TYPES))
        and _looks_like_money(key.rsplit(".", 1)[1], field.label)
        and key not in NOT_MONEY
        and key not in STRUCTURED
    ]
    assert not wrong, (
        "money typed by a person must be core.fields.RupiahField (or listed in NOT_MONEY "
        f"with the reason): {wrong}"
    )


def _in_range(field: forms.Field, value) -> bool:
    low, high = getattr(field, "min_value", None), getattr(field, "max_value", None)
    return (low is None or value >= low) and (high is None or value <= high)


@pytest.mark.parametrize(
    "key", sorted(k for k, f in FORM_FIELDS.items() if isinstance(f, RupiahField))
)
def test_every_rupiah_field_reads_the_three_ways_and_refuses_the_ambiguous(key):
    field = FORM_FIELDS[key]
    checked = [text for text, meant in READ.items() if _in_range(field, meant)]
    assert checked, f"{key}: none of the examples fits its limits"
    for text in checked:
        assert field.clean(text) == READ[text], (key, text)
    for text in REFUSED_FROM_PEOPLE:
        with pytest.raises(ValidationError) as refused:
            field.clean(text)
        assert refused.value.code == RUPIAH_INVALID and refused.value.messages[0], (key, text)
    shown = field.prepare_value(1_500_000)
    assert shown == "1.500.000" and field.clean(shown) == 1_500_000  # sent back unchanged


@pytest.mark.parametrize("key", sorted(STRUCTURED))
def test_structured_text_reads_its_prices_the_same_way(key):
    module, cls, name = key.rsplit(".", 2)
    form = getattr(importlib.import_module(module), cls)
    template, pick = STRUCTURED[key]
    for text, meant in READ.items():
        bound = form({name: template.format(text)})
        bound.is_valid()
        assert name not in bound.errors, (key, text, bound.errors)
        assert pick(bound.cleaned_data[name]) == meant, (key, text)
    for text in REFUSED_FROM_PEOPLE:
        bound = form({name: template.format(text)})
        assert not bound.is_valid() and bound.errors[name], (key, text)


_NUMBER_FIELDS = {"IntegerField", "DecimalField", "FloatField"}


def _made_in_source() -> list[tuple[str, str]]:
    """(key, label) of every Integer/Decimal/FloatField made anywhere in the product code,
    in a class body or added in ``__init__`` (``self.fields[...] = forms.IntegerField(...)``)."""
    made = []
    for path in sorted(AMANAH.rglob("*.py")):
        parts = path.relative_to(AMANAH.parent).parts
        if {"tests", "migrations", "e2e"} & set(parts):
            continue
        module = ".".join(Path(*parts).with_suffix("").parts)
        tree = ast.parse(path.read_text())
        owner = {
            id(child): node.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ClassDef)
            for child in node.body
        }
        for node in ast.walk(tree):
            call = node.value if isinstance(node, ast.Assign) else None
            if not (
                isinstance(call, ast.Call)
                and ast.unparse(call.func).split(".")[-1] in _NUMBER_FIELDS
                and ast.unparse(call.func).startswith("forms.")
            ):
                continue
            target = ast.unparse(node.targets[0])
            label = next((ast.unparse(k.value) for k in call.keywords if k.arg == "label"), "")
            cls = owner.get(id(node))
            made.append((f"{module}.{cls}.{target}" if cls else f"{module}:{target}", label))
    return made


def test_no_number_field_made_anywhere_holds_money():
    made = _made_in_source()
    assert any(k == "amanah.utility.forms.ScheduleForm.count" for k, _l in made)
    wrong = [
        key
        for key, label in made
        if _looks_like_money(key.rsplit(".", 1)[-1].rsplit(":", 1)[-1], label)
        and key not in NOT_MONEY
    ]
    assert not wrong, f"a number field that looks like money must be a RupiahField: {wrong}"


# --------------------------------------------------------------------------- API schemas


def _amount_of(annotation, metadata=()) -> Amount | None:
    for item in metadata:
        if isinstance(item, Amount):
            return item
    if typing.get_origin(annotation) is typing.Annotated:
        return _amount_of(typing.get_args(annotation)[0], annotation.__metadata__)
    for arg in typing.get_args(annotation):
        found = _amount_of(arg)
        if found:
            return found
    return None


def _bare(annotation) -> set:
    args = typing.get_args(annotation)
    return set().union(*(_bare(a) for a in args)) if args else {annotation}


def _input_fields() -> dict[str, tuple]:
    """``"<Schema>.<field>"`` → (annotation, metadata) of every field of every API input."""
    import amanah.urls  # noqa: F401 — mounts every router
    from amanah.api import api

    fields, todo = {}, []
    for _prefix, router in api._routers:
        for view in router.path_operations.values():
            for operation in view.operations:
                todo.extend(operation.models)
    seen = set()
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, info in model.model_fields.items():
            fields[f"{model.__module__}.{model.__qualname__}.{name}"] = (
                info.annotation,
                tuple(info.metadata),
            )
            todo.extend(
                t
                for t in _bare(info.annotation)
                if isinstance(t, type) and issubclass(t, BaseModel)
            )
    return fields


API_FIELDS = _input_fields()
NOT_MONEY_API = {
    "amanah.integrations.api.ImportIn.target": "the import target's key (text)",
    "amanah.customers.api.masterdata.CorrectionIn.value": "a CIF, NIK or account number (text)",
    "amanah.customers.api.masterdata.IdentifierIn.value": "a CIF, NIK or account number (text)",
}


def test_the_walk_finds_the_api_inputs_that_hold_money():
    assert _amount_of(*API_FIELDS["amanah.followup.api.DepositIn.amount"]) is not None


def test_every_api_input_that_looks_like_money_is_the_rupiah_type():
    numeric = {int, float, Decimal, str}
    wrong = [
        key
        for key, (annotation, metadata) in API_FIELDS.items()
        if _amount_of(annotation, metadata) is None
        and _looks_like_money(key.rsplit(".", 1)[1], "")
        and _bare(annotation) & numeric
        and key not in NOT_MONEY_API
    ]
    assert not wrong, f"an API amount must be core.fields.Rupiah or RupiahSen: {wrong}"


@pytest.mark.parametrize(
    "key", sorted(k for k, (a, m) in API_FIELDS.items() if _amount_of(a, m) is not None)
)
def test_every_api_amount_reads_numbers_and_text_and_refuses_the_ambiguous(key):
    annotation, metadata = API_FIELDS[key]
    adapter = TypeAdapter(typing.Annotated[annotation, *metadata] if metadata else annotation)
    for text, meant in READ.items():
        assert adapter.validate_python(text) == meant, (key, text)
        assert adapter.validate_python(meant) == meant, (key, meant)
    assert adapter.validate_python("1500000.00") == 1_500_000  # a machine's decimal point
    for text in REFUSED_FROM_MACHINES:
        with pytest.raises(SchemaError) as refused:
            adapter.validate_python(text)
        error = refused.value.errors()[0]
        assert error["type"] == RUPIAH_INVALID and error["msg"], (key, text)


# --------------------------------------------------------------------------- import columns


def _import_fields() -> dict:
    return {f"{key}.{f.name}": f for key, t in registry.import_targets.items() for f in t.fields}


def test_every_import_column_that_looks_like_money_declares_its_amount():
    fields = _import_fields()
    assert fields["insight.transactions.amount"].amount is not None
    wrong = [
        key
        for key, field in fields.items()
        if field.amount is None
        and _looks_like_money(field.name, field.label)
        and key not in NOT_MONEY
    ]
    assert not wrong, f"an import column holding rupiah must declare ImportField(amount=…): {wrong}"


def _read_cell(field, cell):
    """The pipeline's reading of one cell of ``field``'s column: (value, problems)."""
    from amanah.integrations.imports import _amounts_read

    problems = []
    row = _amounts_read(
        2,
        {field.name: cell.strip()},
        [cell],
        {field.name: 0},
        {field.name: field.amount},
        {field.name: "Kolom"},
        problems,
    )
    return (row[field.name] if row else None), problems


@pytest.mark.parametrize("key", sorted(k for k, f in _import_fields().items() if f.amount))
def test_every_import_amount_column_reads_as_meant_through_the_pipeline(key):
    from amanah.integrations.imports import _cell_text, read_rows

    field = _import_fields()[key]
    written = {**READ, "1500000.00": 1_500_000}  # a machine file's decimal point too
    text = "Kolom\n" + "".join(f"{typed}\n" for typed in written)
    _columns, rows = read_rows(text.encode(), "CSV")  # the CSV as the pipeline reads it
    for (_line, cells), (typed, meant) in zip(rows, written.items(), strict=True):
        assert _read_cell(field, cells[0]) == (meant, []), (key, typed)
    assert _read_cell(field, " ") == (None, [])  # an empty cell: the target says if required
    # a spreadsheet's number is read as the number, never as text with a dot
    assert _read_cell(field, _cell_text(1_500_000.0)) == (1_500_000, [])
    for cell in (*REFUSED_FROM_MACHINES, _cell_text(1.125)):
        value, problems = _read_cell(field, cell)
        assert value is None and problems[0][1] == "Kolom" and problems[0][2], (key, cell)
