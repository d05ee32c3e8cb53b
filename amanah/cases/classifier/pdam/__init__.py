"""The PDAM profile: eight complaint categories of a water utility and its priority rules.

Priority: the label's own priority, raised by the rules — a leak on a main pipe and an
outage of a whole area are CRITICAL; a vulnerable customer (hospital, clinic, school, care
home, dialysis at home, an elderly or disabled person — said in the text, or a customer aged 65
or more by the birth date on file; the customer model has no disability flag) is at least HIGH.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from amanah.cases.classifier.pdam.generator import generate
from amanah.cases.classifier.profiles import Label, PriorityRule, Profile

ELDERLY_AGE = 65

_MAIN_PIPE = re.compile(
    r"\bpipa\s+(induk|utama|primer|transmisi|besar)\b|\bmain\s+pipe\b|\bpipa\s+distribusi\s+utama\b"
)
_AREA = re.compile(
    r"\b(satu|se|seluruh|semua)[\s-]*(kompleks|komplek|kelurahan|desa|kampung|gang|gg|rt|rw|"
    r"perumahan|blok|kecamatan|jalan|lingkungan|dusun|wilayah)\b"
    r"|\b(semua|seluruh)\s+(rumah|warga)\b|\bsekampung\b|\bsekelurahan\b|\bsekompleks\b|\bsatu\s+daerah\b|\bwhole\s+(area|street)\b"
)
_VULNERABLE = re.compile(
    r"\b(rumah\s+sakit|rs|rsu|rsud|puskesmas|klinik|sekolah|sd|smp|sma|paud|tk|madrasah|"
    r"pesantren|panti|lansia|lanjut\s+usia|jompo|disabilitas|difabel|cacat|kursi\s+roda|"
    r"cuci\s+darah|hemodialisa|stroke|lumpuh|hospital|school|elderly|disabled)\b"
)
_WATER_SERVICE = {"air_mati", "air_keruh", "tekanan_lemah"}


def _main_pipe_leak(text: str, label: str, customer) -> bool:
    return label == "pipa_bocor" and bool(_MAIN_PIPE.search(text))


def _area_outage(text: str, label: str, customer) -> bool:
    return label in _WATER_SERVICE and bool(_AREA.search(text))


def _elderly(customer, today: date | None = None) -> bool:
    born = getattr(customer, "birth_date", None)
    if not born:
        return False
    today = today or date.today()
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return age >= ELDERLY_AGE


def _vulnerable(text: str, label: str, customer) -> bool:
    return label in _WATER_SERVICE | {"pipa_bocor"} and (
        bool(_VULNERABLE.search(text)) or _elderly(customer)
    )


PROFILE = Profile(
    key="pdam",
    labels=(
        Label("air_mati", "PDAM_AIR_MATI", "Air mati", "HIGH"),
        Label("air_keruh", "PDAM_AIR_KERUH", "Air keruh / kualitas air", "MEDIUM"),
        Label("tekanan_lemah", "PDAM_TEKANAN_LEMAH", "Tekanan air lemah", "MEDIUM"),
        Label("pipa_bocor", "PDAM_PIPA_BOCOR", "Pipa bocor", "HIGH"),
        Label("meter_rusak", "PDAM_METER_RUSAK", "Meter air rusak", "MEDIUM"),
        Label("tagihan", "PDAM_TAGIHAN", "Tagihan tidak sesuai", "MEDIUM"),
        Label("sambungan_baru", "PDAM_SAMBUNGAN_BARU", "Sambungan baru", "LOW"),
        Label("lainnya", "PDAM_LAINNYA", "Lainnya (PDAM)", "LOW"),
    ),
    fallback="lainnya",
    generate=generate,
    handwritten_path=Path(__file__).with_name("handwritten.csv"),
    rules=(
        PriorityRule("MAIN_PIPE_LEAK", "CRITICAL", _main_pipe_leak),
        PriorityRule("AREA_OUTAGE", "CRITICAL", _area_outage),
        PriorityRule("VULNERABLE_CUSTOMER", "HIGH", _vulnerable),
    ),
)
