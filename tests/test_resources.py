"""The crisis resources table: the shipped file passes its schema, and the loader refuses malformed files."""

from __future__ import annotations

from datetime import date
from importlib import resources as importlib_resources
from pathlib import Path

import pytest

from bot.domain.datafiles import DataFileError
from bot.domain.resources import (
    ISO_3166_ALPHA2,
    MAX_SEARCH_RESULTS,
    default_resources_path,
    load_resources,
)

TODAY = date(2026, 11, 22)

MINIMAL = """\
schema_version = 1

[directory]
name = "Find A Helpline"
url = "https://findahelpline.com"
source = "https://findahelpline.com/AU"
checked = 2026-11-22

[countries.NZ]
name = "New Zealand"
aliases = ["Aotearoa"]
emergency = "111"
emergency_source = "https://www.govt.nz/111"
emergency_checked = 2026-11-22

[[countries.NZ.services]]
name = "1737 Need to talk?"
phone = "1737"
text = "Text 1737"
source = "https://www.health.govt.nz/news"
checked = 2026-11-22

[countries.DE]
name = "Germany"
aliases = ["Deutschland"]
emergency = "112"
emergency_source = "https://digital-strategy.ec.europa.eu/112"
emergency_checked = 2026-11-22

[[countries.DE.services]]
name = "TelefonSeelsorge"
phone = "0800 111 0 111"
other_phones = ["0800 111 0 222"]
website = "https://www.telefonseelsorge.de"
languages = ["de"]
source = "http://www.example.org/telefonseelsorge"
checked = 2026-11-22
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "crisis_resources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def replaced(old: str, new: str) -> str:
    assert old in MINIMAL, old
    return MINIMAL.replace(old, new, 1)


# --- the shipped file -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    return load_resources(default_resources_path(), today=TODAY)


def test_default_path_is_the_repository_data_file():
    path = default_resources_path()
    assert path == Path(__file__).resolve().parents[1] / "data" / "crisis_resources.toml"
    assert path.is_file()


def test_shipped_file_covers_at_least_twenty_countries(shipped):
    assert len(shipped.countries()) >= 20


def test_every_shipped_entry_has_a_source_a_date_and_a_way_to_reach_it(shipped):
    for code, _name in shipped.countries():
        country = shipped.for_country(code)
        assert country is not None
        assert country.code in ISO_3166_ALPHA2
        assert country.emergency
        assert country.emergency_source.startswith(("https://", "http://"))
        assert country.emergency_checked <= TODAY
        assert country.services, code
        for service in country.services:
            assert service.phone or service.text, f"{code} {service.name}"
            assert service.source.startswith(("https://", "http://"))
            assert service.checked <= TODAY
            if service.website is not None:
                assert service.website.startswith("https://")
    for directory in shipped.directories:
        assert directory.url.startswith("https://")
        assert directory.source.startswith("https://")


def test_shipped_directories_are_find_a_helpline_and_befrienders(shipped):
    assert shipped.directory.url == "https://findahelpline.com"
    assert [d.url for d in shipped.directory_extra] == ["https://befrienders.org"]


def test_shipped_file_is_fresh_today(shipped):
    assert shipped.stale(TODAY) == []


def test_shipped_leads_kept_their_confirmed_numbers(shipped):
    """Spot checks against the numbers confirmed on the recorded pages."""
    assert shipped.for_country("US").services[0].phone == "988"
    assert shipped.for_country("US").emergency == "911"
    assert shipped.for_country("GB").services[0].phone == "116 123"
    assert shipped.for_country("GB").emergency == "999"
    assert shipped.for_country("AU").emergency == "000"
    assert shipped.for_country("NZ").emergency == "111"
    assert shipped.for_country("FR").services[0].phone == "3114"
    assert shipped.for_country("IN").services[0].phones == ("14416", "1-800-891-4416")


def test_iso_list_matches_the_tz_database():
    table = importlib_resources.files("tzdata").joinpath("zoneinfo", "iso3166.tab").read_text("utf-8")
    codes = {line.split("\t")[0] for line in table.splitlines() if line and not line.startswith("#")}
    assert codes == ISO_3166_ALPHA2
    assert len(ISO_3166_ALPHA2) == 249


# --- lookups ---------------------------------------------------------------------------------------------


def test_minimal_file_loads_with_its_values(tmp_path):
    resources = load_resources(write(tmp_path, MINIMAL), today=TODAY)
    germany = resources.for_country("de")
    assert germany is not None
    assert germany.name == "Germany"
    assert germany.services[0].phones == ("0800 111 0 111", "0800 111 0 222")
    assert germany.services[0].languages == ("de",)
    assert germany.services[0].source == "http://www.example.org/telefonseelsorge"
    new_zealand = resources.for_country(" nz ")
    assert new_zealand is not None
    assert new_zealand.services[0].text == "Text 1737"
    assert resources.for_country("FR") is None
    assert resources.directory.name == "Find A Helpline"
    assert resources.directories == (resources.directory,)


def test_countries_are_sorted_by_name(tmp_path):
    resources = load_resources(write(tmp_path, MINIMAL))
    assert resources.countries() == [("DE", "Germany"), ("NZ", "New Zealand")]


def test_search_by_name_code_and_alias(shipped):
    assert shipped.search_countries("united") == [("GB", "United Kingdom"), ("US", "United States")]
    assert shipped.search_countries("us")[0] == ("US", "United States")
    assert shipped.search_countries("UK") == [("GB", "United Kingdom")]
    assert shipped.search_countries("deutsch") == [("DE", "Germany")]
    assert shipped.search_countries("Osterreich") == [("AT", "Austria")]
    assert shipped.search_countries("korea")[0] == ("KR", "South Korea")
    assert ("ZA", "South Africa") in shipped.search_countries("africa")
    assert shipped.search_countries("zzzz") == []


def test_search_ranks_name_prefix_before_alias_and_word_matches(shipped):
    codes = [code for code, _ in shipped.search_countries("s")]
    assert codes[:6] == ["SG", "ZA", "KR", "ES", "SE", "CH"]
    assert "FI" in codes  # alias "Suomi"


def test_search_is_limited_to_twenty_five(shipped):
    assert len(shipped.search_countries("")) == min(MAX_SEARCH_RESULTS, len(shipped.countries()))
    assert shipped.search_countries("") == shipped.countries()[:MAX_SEARCH_RESULTS]
    assert len(shipped.search_countries("a")) <= MAX_SEARCH_RESULTS
    assert shipped.search_countries("a", limit=3) == shipped.search_countries("a")[:3]


# --- staleness -------------------------------------------------------------------------------------------


def test_stale_flags_entries_older_than_a_year(tmp_path):
    text = replaced(
        'source = "https://www.health.govt.nz/news"\nchecked = 2026-11-22',
        'source = "https://www.health.govt.nz/news"\nchecked = 2025-01-01',
    )
    resources = load_resources(write(tmp_path, text), today=TODAY)
    stale = resources.stale(TODAY)
    assert stale == ["NZ 1737 Need to talk?: last checked 2025-01-01 (690 days ago)"]


def test_stale_boundary_is_more_than_max_age(tmp_path):
    resources = load_resources(write(tmp_path, MINIMAL))
    assert resources.stale(date(2027, 11, 22)) == []  # exactly 365 days
    later = resources.stale(date(2027, 11, 23))
    assert len(later) == 5  # directory, two emergency numbers, two services
    assert "directory Find A Helpline: last checked 2026-11-22 (366 days ago)" in later
    shorter = resources.stale(date(2027, 1, 1), max_age_days=30)
    assert len(shorter) == 5
    assert "DE emergency number 112: last checked 2026-11-22 (40 days ago)" in shorter
    assert resources.stale(date(2027, 1, 1), max_age_days=40) == []


# --- malformed files -------------------------------------------------------------------------------------

MALFORMED = [
    pytest.param(MINIMAL + "\nextra = 1\n", "unknown key(s) extra", id="unknown-top-level-key"),
    pytest.param(
        MINIMAL.replace("schema_version = 1", "schema_version = 2"),
        "schema_version is 2; this version of the bot reads 1",
        id="version",
    ),
    pytest.param(
        MINIMAL.replace("schema_version = 1", 'schema_version = "1"'),
        "schema_version must be a whole number",
        id="version-as-text",
    ),
    pytest.param(replaced('name = "Find A Helpline"\n', ""), "directory is missing name", id="directory-missing-name"),
    pytest.param(
        replaced('url = "https://findahelpline.com"', 'url = "http://findahelpline.com"'),
        "directory.url",
        id="directory-url-not-https",
    ),
    pytest.param(
        replaced("[countries.NZ]", "[countries.nz]").replace("countries.NZ.", "countries.nz."),
        "two upper-case letters",
        id="lower-case-code",
    ),
    pytest.param(
        replaced("[countries.NZ]", "[countries.XX]").replace("countries.NZ.", "countries.XX."),
        "XX is not an ISO 3166-1 alpha-2",
        id="unassigned-code",
    ),
    pytest.param(replaced('emergency = "111"\n', ""), "countries.NZ is missing emergency", id="missing-emergency"),
    pytest.param(
        replaced('emergency = "111"', "emergency = 111"),
        "countries.NZ.emergency must be a phone",
        id="int-phone",
    ),
    pytest.param(
        replaced('phone = "1737"\ntext = "Text 1737"\n', ""),
        "countries.NZ.services[0]: a service needs a phone number or a text line",
        id="no-phone-no-text",
    ),
    pytest.param(
        replaced('phone = "1737"', 'phone = "1-800-HELP"'),
        "countries.NZ.services[0].phone: '1-800-HELP' is not a phone number",
        id="letters-in-phone",
    ),
    pytest.param(
        replaced('other_phones = ["0800 111 0 222"]', 'other_phones = ["0800 111 0 222 ext. 2"]'),
        "countries.DE.services[0].other_phones",
        id="letters-in-other-phone",
    ),
    pytest.param(
        replaced('website = "https://www.telefonseelsorge.de"', 'website = "www.telefonseelsorge.de"'),
        "countries.DE.services[0].website",
        id="website-not-https",
    ),
    pytest.param(
        replaced('source = "https://www.health.govt.nz/news"', 'source = "ftp://health.govt.nz"'),
        "countries.NZ.services[0].source",
        id="source-not-a-web-address",
    ),
    pytest.param(
        replaced('source = "https://www.health.govt.nz/news"\n', ""),
        "countries.NZ.services[0] is missing source",
        id="service-missing-source",
    ),
    pytest.param(
        replaced('text = "Text 1737"', 'text = "Text 1737"\nfax = "123"'),
        "countries.NZ.services[0] has unknown key(s) fax",
        id="unknown-service-key",
    ),
    pytest.param(
        replaced("emergency_checked = 2026-11-22", 'emergency_checked = "2026-11-22"'),
        "countries.NZ.emergency_checked must be a TOML date",
        id="date-as-text",
    ),
    pytest.param(
        replaced("emergency_checked = 2026-11-22", "emergency_checked = 2026-11-22T10:00:00"),
        "countries.NZ.emergency_checked must be a TOML date",
        id="date-time",
    ),
    pytest.param(
        replaced("emergency_checked = 2026-11-22", "emergency_checked = 2026-12-01"),
        "later than today (2026-11-22)",
        id="checked-in-the-future",
    ),
    pytest.param(
        replaced('languages = ["de"]', 'languages = ["German"]'),
        "countries.DE.services[0].languages",
        id="bad-language",
    ),
    pytest.param(
        MINIMAL.split("[[countries.DE.services]]")[0],
        "countries.DE: needs at least one service",
        id="country-without-services",
    ),
    pytest.param(
        replaced(
            "emergency_checked = 2026-11-22\n\n[[countries.DE.services]]",
            "emergency_checked = 2026-11-22\nservices = []\n\n[[countries.DE.services]]",
        ).split("[[countries.DE.services]]")[0],
        "countries.DE: needs at least one service",
        id="empty-services-list",
    ),
    pytest.param(
        MINIMAL + '\n[[countries.DE.services]]\nname = "telefonseelsorge"\nphone = "1"\n'
        'source = "https://a.example"\nchecked = 2026-11-22\n',
        "two services are both named",
        id="duplicate-service",
    ),
    pytest.param(MINIMAL.replace("[directory]", "[directory"), "not valid TOML", id="broken-toml"),
]


@pytest.mark.parametrize(("text", "problem"), MALFORMED)
def test_malformed_files_are_rejected_naming_file_and_problem(tmp_path, text, problem):
    path = write(tmp_path, text)
    with pytest.raises(DataFileError) as caught:
        load_resources(path, today=TODAY)
    assert caught.value.path == str(path)
    assert problem in caught.value.problem
    assert str(path) in str(caught.value)


def test_missing_file_is_named(tmp_path):
    path = tmp_path / "nope.toml"
    with pytest.raises(DataFileError) as caught:
        load_resources(path)
    assert caught.value.path == str(path)
    assert "does not exist" in caught.value.problem


def test_future_dates_are_only_checked_when_today_is_given(tmp_path):
    text = replaced("emergency_checked = 2026-11-22", "emergency_checked = 2030-01-01")
    resources = load_resources(write(tmp_path, text))
    new_zealand = resources.for_country("NZ")
    assert new_zealand is not None
    assert new_zealand.emergency_checked == date(2030, 1, 1)
