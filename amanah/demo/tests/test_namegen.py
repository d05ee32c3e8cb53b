"""The generator of realistic customers: deterministic, valid identity data, diverse names."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date

import pytest

from amanah.customers.names import normalize_name
from amanah.customers.services.inputs import CustomerInput, clean_fields, parse_identifiers
from amanah.customers.validation import nik_birth_date_and_gender, normalize_phone, validate_nik
from amanah.demo import namegen

TODAY = date(2026, 5, 1)
BRANCHES = ["B1", "B2", "B3"]


@pytest.fixture(scope="module")
def sample() -> list[dict]:
    return list(namegen.customer_rows(5_000, BRANCHES, seed=7, today=TODAY))


def test_same_seed_gives_the_same_rows_and_another_seed_others():
    first = list(namegen.customer_rows(300, BRANCHES, seed=11, today=TODAY))
    again = list(namegen.customer_rows(300, BRANCHES, seed=11, today=TODAY))
    other = list(namegen.customer_rows(300, BRANCHES, seed=12, today=TODAY))
    assert first == again
    assert [r["full_name"] for r in first] != [r["full_name"] for r in other]


def test_nik_encodes_birth_date_gender_and_a_north_sumatra_region(sample):
    for row in sample:
        nik = validate_nik(row["nik"], birth_date=row["birth_date"], gender=row["gender"])
        assert nik_birth_date_and_gender(nik) == (row["birth_date"], row["gender"])
    provinces = Counter(r["nik"][:2] for r in sample)
    assert provinces["12"] / len(sample) > 0.9
    assert (
        Counter(r["nik"][:4] for r in sample).most_common(1)[0][0] in namegen.NORTH_SUMATRA_REGIONS
    )


def test_identifiers_are_unique(sample):
    rows = list(namegen.customer_rows(50_000, BRANCHES, seed=3, today=TODAY))
    assert len({r["nik"] for r in rows}) == len(rows)
    assert len({r["cif"] for r in rows}) == len(rows)
    accounts = [a for r in rows for a in r["account_numbers"]]
    assert len(set(accounts)) == len(accounts)


def test_phones_are_valid_indonesian_mobiles_in_e164(sample):
    phones = [r["phone"] for r in sample if r["phone"]]
    assert len(phones) / len(sample) > 0.85
    for phone in phones:
        assert phone.startswith("+628")
        assert normalize_phone(phone) == phone
        assert normalize_phone("0" + phone[3:]) == phone  # as a customer writes it
    assert len(set(phones)) > 0.99 * len(phones)


def test_ages_between_18_and_85(sample):
    ages = [(TODAY - r["birth_date"]).days / 365.25 for r in sample]
    assert min(ages) >= 18 and max(ages) <= 85


def test_fifty_thousand_draws_give_diverse_names():
    gen = namegen.NameGenerator(5, today=TODAY)
    people = [gen.person() for _ in range(50_000)]
    names = [p[0] for p in people]
    assert len(set(names)) > 35_000
    assert len({normalize_name(n) for n in names}) > 30_000
    groups = Counter(p[2] for p in people)
    assert set(groups) == set(namegen._GROUP_KEYS)
    assert max(groups.values()) / len(people) < 0.25
    words = Counter(w for n in names for w in n.split(",")[0].split())
    for marga in ("Siregar", "Nasution", "Ginting", "Sembiring", "Sinaga", "Purba", "Zebua"):
        assert words[marga] > 0, marga
    # The ways people write their names show up, but not everywhere.
    with_degree = sum("," in n for n in names) / len(names)
    hajj = sum(n.startswith(("H. ", "Hj. ")) for n in names) / len(names)
    muhammad_short = sum(any(w in ("Mhd.", "Muh.", "M.", "Moh.") for w in n.split()) for n in names)
    assert 0.02 < with_degree < 0.12
    assert 0.005 < hajj < 0.08
    assert muhammad_short > 100
    assert any(" br. " in n or " br " in n for n in names)
    # An abbreviation is never a whole name ("M." alone could not be searched for).
    abbreviations = {"M.", "Mhd.", "Muh.", "Moh.", "Abd.", "St."}
    assert not [n for n in names if n.split(",")[0].split()[-1] in abbreviations]
    assert all(len(normalize_name(n)) >= 3 for n in names)


def _only(*pools: list[str], minus: list[list[str]]) -> set[str]:
    other = {w for pool in minus for w in pool}
    return {w for pool in pools for w in pool} - other


def test_names_match_gender():
    surnames = [
        namegen.MARGA_TOBA,
        namegen.MARGA_MANDAILING,
        namegen.MARGA_KARO,
        namegen.MARGA_SIMALUNGUN,
        namegen.MARGA_NIAS,
        namegen.MARGA_PAKPAK,
        namegen.CHINESE_LASTNAMES_INDONESIAN,
        namegen.CHINESE_SURNAMES_HOKKIEN,
        namegen.MINANG_SUKU,
        namegen.ACEH_PATRONYMS,
    ]
    male_lists = [
        namegen.ISLAMIC_MALE,
        namegen.CHRISTIAN_MALE,
        namegen.BATAK_MALE,
        namegen.KARO_MALE,
        namegen.NIAS_MALE,
        namegen.MODERN_MALE,
        namegen.JAVA_FIRST_MALE,
        namegen.JAVA_LAST_MALE,
        namegen.SUNDA_MALE,
        namegen.SUNDA_LAST_MALE,
        namegen.MINANG_MALE,
        namegen.BALI_GIVEN_MALE,
        namegen.CHINESE_GIVEN_MALE,
        namegen.MALAY_LAST_MALE,
    ]
    female_lists = [
        namegen.ISLAMIC_FEMALE,
        namegen.CHRISTIAN_FEMALE,
        namegen.BATAK_FEMALE,
        namegen.KARO_FEMALE,
        namegen.NIAS_FEMALE,
        namegen.MODERN_FEMALE,
        namegen.JAVA_FIRST_FEMALE,
        namegen.JAVA_LAST_FEMALE,
        namegen.SUNDA_FEMALE,
        namegen.SUNDA_LAST_FEMALE,
        namegen.MINANG_FEMALE,
        namegen.BALI_GIVEN_FEMALE,
        namegen.CHINESE_GIVEN_FEMALE,
        namegen.MALAY_LAST_FEMALE,
    ]
    # Words of titles worn by both ("Anak Agung Istri" is a woman) are not a gender sign.
    shared = [w for t in namegen.BALI_PREFIX_MALE + namegen.BALI_PREFIX_FEMALE for w in t.split()]
    female_only = _only(*female_lists, minus=[*male_lists, *surnames, shared])
    male_only = _only(*male_lists, minus=[*female_lists, *surnames, shared])
    gen = namegen.NameGenerator(9, today=TODAY)
    for _ in range(20_000):
        name, gender, _group, _birth = gen.person()
        words = set(name.split(",")[0].split())
        if gender == "M":
            assert not words & female_only, name
            assert not words & {"Hj.", "Dra.", "Ni", "br.", "br", "boru", "Cut", "Siti"}, name
        else:
            assert not words & male_only, name
            assert not words & {"H.", "Drs.", "Teuku", "Muhammad", "Mhd."}, name


def test_demo_customers_pass_the_service_validation():
    for data in namegen.demo_customers(300, BRANCHES, seed=4):
        fields = clean_fields(CustomerInput(**data))
        identifiers = dict(parse_identifiers(CustomerInput(**data), fields))
        assert identifiers["NIK"] == data["nik"] and identifiers["CIF"] == data["cif"]
        assert fields["name_search"]


def test_branch_specs_are_unique_and_regional():
    specs = namegen.branch_specs(100)
    assert len({code for code, _n, _r in specs}) == 100
    assert all(len(code) <= 10 and code.isalnum() for code, _n, _r in specs)
    assert sum(region == "1271" for _c, _n, region in specs) >= 25


def test_search_variants_normalize_close_to_the_name():
    rng = random.Random(1)
    gen = namegen.NameGenerator(2, today=TODAY)
    for _ in range(500):
        name = gen.full_name()
        typed = normalize_name(namegen.name_variants(name, rng))
        assert typed and set(typed.split()) - set(normalize_name(name).split()) <= {
            w for w in typed.split() if len(w) >= 4
        }
    assert normalize_name("Mhd. Rizky Siregar, S.E.") == normalize_name("Muh. Rizky Siregar")
