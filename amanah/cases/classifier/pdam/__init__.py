"""The PDAM profile: ten complaint categories of a water utility, its priority rules and its
guards.

Seven categories are the utility's technical and billing work (air mati, keruh, tekanan,
pipa bocor, meter, tagihan, sambungan baru): the system sets them by itself above the
threshold. Three it never sets by itself — an agent decides (docs/classifier.md says why):

* *Lainnya* — everything else (administration, information, thanks, excavations …);
* *Penipuan mengatasnamakan PDAM* — someone posing as PDAM (fake officers, bills, links,
  OTP requests): sensitive, like the bank's FRAUD_SCAM (seed 003 Bab 5.4 Tier-3, 11.3);
* *Perilaku petugas* — an officer asking for money (pungli), rude, threatening, entering
  without leave: sensitive too, since the complaint names a colleague.

The guards read the signs of the last two in the text whatever the model says (a scam story
is full of "pipa bocor" and "meter"); such a complaint waits for an agent under its sensitive
category, with the signs shown.

Priority: the label's own priority, raised by the rules — a leak on a main pipe and an
outage of a whole area are CRITICAL; a vulnerable customer (hospital, clinic, school, care
home, dialysis at home, an elderly or disabled person — said in the text, or a customer aged 65
or more by the birth date on file; the customer model has no disability flag) is at least HIGH;
an officer asking for money is HIGH.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from amanah.cases.classifier.pdam.generator import generate
from amanah.cases.classifier.profiles import Label, PriorityRule, Profile, pattern_guard
from amanah.cases.models import SuggestionReason

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

# --- the guards' signs (text in lower case) ------------------------------------------------


def _any(*fragments: str) -> re.Pattern:
    """One pattern matching any of ``fragments`` (regular expressions, lower case)."""
    return re.compile("|".join(f"(?:{fragment})" for fragment in fragments))


_W = r"(?:\w+\s+)"  # one word and its space
# Someone posing as PDAM, or a scam named as such.
_FRAUD = _any(
    r"\b(penipu|penipuan|menipu|ditipu|tertipu|tipu-tipu|modus|scam|scammer|phishing|hoaks|"
    r"hoax|gadungan|abal-abal|palsu|fraud|fake|pretend\w*|impersonat\w*)\b",
    rf"\b(mengaku|ngaku|ngaku-ngaku|mengaku-ngaku)\s+{_W}{{0,3}}"
    r"(petugas|pegawai|karyawan|orang|pihak|staf|staff|teknisi|utusan|cs|pdam)\b",
    r"\b(menyamar|mengatasnamakan|catut|mencatut)\b|\batas\s*nama(kan)?\s+pdam\b",
    r"\bbukan\s+(dari\s+|petugas\s+|pegawai\s+|orang\s+)?pdam\b",
    r"\b(kode\s+)?otp\b|\bkode\s+(verifikasi|rahasia|keamanan)\b|\bpin\s+(atm|m-?banking)\b",
    r"\bklik\s+(link|tautan)\b|\.apk\b|\bfile\s+apk\b",
    rf"\b(rekening|akun|dompet\s+digital|e-?wallet)\s+{_W}?(pribadi|perorangan)\b",
    r"\bpersonal\s+account\b|\bnomor\s+(tidak\s+dikenal|asing)\b|\b(undian|hadiah)\b",
    r"\b(apa(kah)?|benarkah)\s+(ini|itu)\s+(benar\s+|beneran\s+)?(resmi|dari\s+pdam)\b",
)
# Who an officer's conduct is about.
_PERSON = _any(
    r"\b(petugas|petugase|petugasna|petugasnya|pegawai|pegawainya|karyawan|staf|staff|"
    r"stafnya|teknisi|tukang|pekerja|pencatat|cater|juru\s+catat|kolektor|penagih|satpam|"
    r"security|cs|customer\s+service|kasir|teller|operator|mandor|oknum|officer|bapaknya|"
    r"masnya|mbaknya|ibunya|abangnya|mereka|dia|beliau)\b",
)
# An officer asking for or taking money.
_MONEY = _any(
    r"\b(pungli|pungutan\s+liar|pelicin|suap|disuap|menyuap|sogok|sogokan|disogok|"
    r"gratifikasi|salam\s+tempel|amplop|palak|malak|memalak|dipalak|bribe|bribery)\b",
    r"\buang\s+(rokok|kopi|lelah|damai|bensin|jalan|terima\s+kasih|tambahan|tips?)\b",
    rf"\b(minta|minta-minta|meminta|mintak|mungut|memungut)\s+{_W}?"
    r"(uang|duit|imbalan|tip|tips|bayaran|ongkos|upah|jatah|biaya\s+tambahan)\b",
    r"\b(minta|meminta)\s+dibayar\b|\b(terima|menerima|kasih|memberi)\s+uang\b",
    r"\b(tanpa|tidak\s+ada|gak\s+ada|ga\s+ada|tdk\s+ada)\s+(kwitansi|kuitansi|bukti\s+bayar)\b",
    r"\bdi\s+luar\s+(tarif|biaya|ketentuan)\s+resmi\b|\bsumbangan\s+wajib\b",
    r"\b(extra|more)\s+money\b",
    # Paying or buying straight from the person, not at the counter.
    rf"\b(beli|membeli|bayar|dibayar|membayar)\s+{_W}{{0,3}}(ke|dari|kepada|sama)\s+"
    r"(dia|beliau|mereka)\b|\blangsung\s+ke\s+(petugas|teknisi|pegawai)\b",
)
# An officer's manners.
_RUDE = _any(
    r"\b(kasar|membentak|bentak|dibentak|ngebentak|bentak-bentak|marah-marah|memarahi|"
    r"dimarahi|memaki|dimaki|maki-maki|mengumpat|mengancam|diancam|ngancam|ancam|"
    r"intimidasi|mengintimidasi|arogan|melecehkan|pelecehan|menghina|dihina|menghardik|"
    r"meremehkan|galak|judes|jutek|ketus|nyolot|songong|mabuk|genit|menggoda|memukul|"
    r"dipukul|rude|impolite|yelled|shouted|harassed|threatened)\b",
    r"\b(tidak|tak|gak|ga|nggak|ndak|tdk|kurang|ora|teu)\s+(sopan|ramah|beretika|santun)\b",
    rf"\bkurang\s+ajar\b|\bmasuk\s+{_W}{{0,4}}tanpa\s+(izin|ijin|permisi)\b",
    r"\bnada\s+tinggi\b|\b(berkata|kata-kata|omongan)\s+kotor\b",
)

GUARDS = (
    pattern_guard(SuggestionReason.FRAUD_SIGNS, "penipuan", _FRAUD),
    pattern_guard(SuggestionReason.MISCONDUCT_SIGNS, "petugas", _MONEY),
    pattern_guard(SuggestionReason.MISCONDUCT_SIGNS, "petugas", _PERSON, _RUDE),
)


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


def _illegal_levy(text: str, label: str, customer) -> bool:
    return label == "petugas" and bool(_MONEY.search(text))


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
        Label("lainnya", "PDAM_LAINNYA", "Lainnya (PDAM)", "LOW", automatic=False),
        Label(
            "penipuan",
            "PDAM_PENIPUAN",
            "Penipuan mengatasnamakan PDAM",
            "HIGH",
            automatic=False,
            sensitive=True,
        ),
        Label(
            "petugas",
            "PDAM_PETUGAS",
            "Perilaku petugas (pungli, tidak sopan)",
            "MEDIUM",
            automatic=False,
            sensitive=True,
        ),
    ),
    fallback="lainnya",
    generate=generate,
    handwritten_path=Path(__file__).with_name("handwritten.csv"),
    rules=(
        PriorityRule("MAIN_PIPE_LEAK", "CRITICAL", _main_pipe_leak, _("Kebocoran pipa induk")),
        PriorityRule("AREA_OUTAGE", "CRITICAL", _area_outage, _("Gangguan satu wilayah")),
        PriorityRule(
            "VULNERABLE_CUSTOMER", "HIGH", _vulnerable, _("Pelanggan rentan / fasilitas penting")
        ),
        PriorityRule("ILLEGAL_LEVY", "HIGH", _illegal_levy, _("Petugas meminta uang (pungli)")),
    ),
    guards=GUARDS,
)
