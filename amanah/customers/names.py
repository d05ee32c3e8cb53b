"""Indonesian names as people type them: titles, abbreviations, spacing and case.

``normalize_name`` turns "H. Muh. Rizky  Siregar, S.E." and "muhammad rizky siregar" into the
same search key, so fuzzy search (pg_trgm) compares what matters: the name itself.
"""

from __future__ import annotations

import re
import unicodedata

# Academic, religious and professional titles, before or after the name (lowercase, no dots).
TITLES = frozenset(
    [
        "h",
        "hj",
        "haji",
        "hajjah",
        "dr",
        "drs",
        "dra",
        "drg",
        "ir",
        "prof",
        "kh",
        "ust",
        "ustadz",
        "ustazah",
        "tn",
        "ny",
        "nn",
        "sdr",
        "sdri",
        "bpk",
        "bp",
        "ibu",
        "se",
        "sh",
        "sag",
        "sak",
        "spd",
        "spdi",
        "skom",
        "ssos",
        "sip",
        "st",
        "sp",
        "sstp",
        "sfarm",
        "sked",
        "ssi",
        "sth",
        "skm",
        "skep",
        "ssn",
        "shut",
        "sei",
        "mm",
        "msi",
        "mh",
        "mkom",
        "mpd",
        "mba",
        "mt",
        "mag",
        "mkes",
        "mkn",
        "mak",
        "msc",
        "phd",
        "ba",
        "ma",
        "bsc",
        "amd",
        "amk",
        "apt",
    ]
)

# Short forms that stand for one full name part.
ABBREVIATIONS = {
    "m": "muhammad",
    "mhd": "muhammad",
    "moh": "muhammad",
    "muh": "muhammad",
    "muhd": "muhammad",
    "mohd": "muhammad",
    "mochammad": "muhammad",
    "mohammad": "muhammad",
    "mohamad": "muhammad",
    "muhamad": "muhammad",
    "muhammed": "muhammad",
    "abd": "abdul",
    "ahmd": "ahmad",
    "achmad": "ahmad",
    "st": "siti",
    "nurul": "nurul",
}

_SEPARATORS = re.compile(r"[\s\-_/]+")
_APOSTROPHES = re.compile(r"['’`´]")  # Nur'aini = Nuraini
_NOT_LETTER = re.compile(r"[^a-z0-9 ]")


def _ascii_lower(text: str) -> str:
    if text.isascii():  # nothing to decompose (most names): the same answer, much sooner
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _token_words(token: str) -> list[str]:
    """ "S.Pd." -> ["spd"], "H." -> ["h"], "M.Rizky" -> ["m", "rizky"]."""
    parts = [p for p in token.split(".") if p]
    if all(len(p) <= 3 for p in parts):
        return ["".join(parts)] if parts else []
    return parts


def _tokens(text: str) -> list[str]:
    # Degrees follow a comma by convention ("Rina Nasution, S.E., M.M."): drop that tail.
    text = _APOSTROPHES.sub("", _ascii_lower(text).split(",", 1)[0])
    words = []
    for token in _SEPARATORS.sub(" ", text).split():
        words.extend(_NOT_LETTER.sub("", w) for w in _token_words(token))
    return [w for w in words if w]


def normalize_name(name: str) -> str:
    """The search key of a name: lowercase ASCII, no titles, abbreviations expanded."""
    words = [ABBREVIATIONS.get(t, t) for t in _tokens(name) if t not in TITLES]
    return " ".join(words)
