"""One date-time format everywhere, with the zone (issue 16): a template that shows a time
shows its zone (WIB/WITA/WIT, the ``T`` of Django's date format), as ``j M Y H:i T`` does."""

import re
from pathlib import Path

import amanah

ROOT = Path(amanah.__file__).parent
DATE_FILTER = re.compile(r"""\|\s*date:\s*(["'])(.*?)\1""")
TIME_PART = re.compile(r"[HGghisaAPu]")
# The zone may follow as text instead (the calendar page names the calendar's own zone).
ZONE_AFTER = re.compile(r"""^[^<]{0,20}\{\{\s*calendar\.timezone_label|^\s*\}\}\s*UTC""")


def _templates():
    return sorted(p for p in ROOT.rglob("*.html") if "templates" in p.parts)


def _times_without_zone(text: str) -> list[str]:
    found = []
    for match in DATE_FILTER.finditer(text):
        fmt = match.group(2).replace("\\", "")
        if fmt in ("c", "U") or "T" in fmt or not TIME_PART.search(fmt):
            continue
        if ZONE_AFTER.search(text[match.end() : match.end() + 80]):
            continue
        found.append(fmt)
    return found


def test_the_scan_sees_a_time_without_zone():
    assert _times_without_zone('{{ x|date:"j M Y H:i" }}') == ["j M Y H:i"]
    assert _times_without_zone("{{ x|date:'d-m-Y H:i' }}") == ["d-m-Y H:i"]
    assert _times_without_zone('{{ x|date:"j M Y H:i T" }} {{ y|date:"j M Y" }}') == []


def test_every_template_time_shows_its_zone():
    offenders = {
        str(path.relative_to(ROOT)): bad
        for path in _templates()
        if (bad := _times_without_zone(path.read_text(encoding="utf-8")))
    }
    assert not offenders, f"add the zone (T), e.g. 'j M Y H:i T', or use {{ x|when }}: {offenders}"


def test_no_template_prints_a_raw_timestamp():
    """``{{ case.created_at }}`` prints the server's default format without a zone."""
    raw = re.compile(r"\{\{\s*[\w.]+\.\w+_at\s*\}\}")
    offenders = {}
    for path in _templates():
        hits = [h for h in raw.findall(path.read_text(encoding="utf-8")) if "_form." not in h]
        if hits:
            offenders[str(path.relative_to(ROOT))] = hits
    assert not offenders, offenders
