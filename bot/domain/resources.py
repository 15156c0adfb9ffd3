"""Crisis resources: the shipped table of helplines and emergency numbers, loaded and validated strictly.

Pure domain code: no Discord, no settings, no database. When a member seems to be in crisis the bot privately
shows one or two services for their country plus the emergency number, and an international directory for
every country the table does not cover. A wrong number given to someone on their worst day is the worst
possible bug, so the loader refuses anything it cannot vouch for: unknown or missing keys, country codes that
are not ISO 3166-1 alpha-2, phone numbers with letters in them, links that are not https, entries without a
source or a check date. Every problem is a `DataFileError` naming the file and the entry.

The file format is described at the top of `data/crisis_resources.toml`. In short::

    schema_version = 1
    [directory]                     # shown for every country not in the table
    name = "Find A Helpline"
    url = "https://findahelpline.com"
    source = "https://..."          # where the url was confirmed
    checked = 2026-11-22            # a TOML date
    [countries.US]
    name = "United States"
    emergency = "911"
    emergency_source = "https://..."
    emergency_checked = 2026-11-22
    [[countries.US.services]]
    name = "988 Suicide & Crisis Lifeline"
    phone = "988"                   # and/or text = "Text 988"
    source = "https://..."
    checked = 2026-11-22

`Resources.stale(today)` lists entries checked more than a year before `today`, for `python -m bot check`.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bot.domain.datafiles import DataFileError

SCHEMA_VERSION = 1
# Discord autocomplete offers at most 25 choices.
MAX_SEARCH_RESULTS = 25
DEFAULT_MAX_AGE_DAYS = 365

# Every code assigned in ISO 3166-1 alpha-2 (249 of them); the tests compare this with tzdata's iso3166.tab.
_ISO_3166_ALPHA2_CODES = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW
    BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI
    FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN
    IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME
    MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF
    PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE
    YT ZA ZM ZW
"""
ISO_3166_ALPHA2 = frozenset(_ISO_3166_ALPHA2_CODES.split())

_TOP_REQUIRED = ("schema_version", "directory", "countries")
_TOP_OPTIONAL = ("directory_extra",)
_DIRECTORY_REQUIRED = ("name", "url", "source", "checked")
_DIRECTORY_OPTIONAL = ("description",)
_COUNTRY_REQUIRED = ("name", "emergency", "emergency_source", "emergency_checked", "services")
_COUNTRY_OPTIONAL = ("emergency_note", "aliases")
_SERVICE_REQUIRED = ("name", "source", "checked")
_SERVICE_OPTIONAL = (
    "phone",
    "other_phones",
    "text",
    "hours",
    "website",
    "languages",
    "note",
    "more_sources",
)

_COUNTRY_CODE = re.compile(r"[A-Z]{2}")
# Digits, spaces, "+", "-" and parentheses only, with at least one digit: "116 123", "1-800-891-4416".
_PHONE = re.compile(r"[0-9 +\-()]*[0-9][0-9 +\-()]*")
_LANGUAGE = re.compile(r"[a-z]{2,3}")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


@dataclass(frozen=True, slots=True)
class Service:
    """One helpline: at least one of `phone` and `text`, and where it was confirmed."""

    name: str
    phone: str | None
    other_phones: tuple[str, ...]
    text: str | None
    hours: str | None
    website: str | None
    languages: tuple[str, ...]
    note: str | None
    source: str
    more_sources: tuple[str, ...]
    checked: date

    @property
    def phones(self) -> tuple[str, ...]:
        """Every phone number, the main one first."""
        return ((self.phone,) if self.phone else ()) + self.other_phones


@dataclass(frozen=True, slots=True)
class CountryResources:
    """The emergency number and helplines of one country (`code` is ISO 3166-1 alpha-2)."""

    code: str
    name: str
    aliases: tuple[str, ...]
    emergency: str
    emergency_note: str | None
    emergency_source: str
    emergency_checked: date
    services: tuple[Service, ...]


@dataclass(frozen=True, slots=True)
class Directory:
    """An international directory of helplines, for every country the table does not cover."""

    name: str
    url: str
    description: str | None
    source: str
    checked: date


@dataclass(frozen=True, slots=True)
class Resources:
    """The validated crisis resources table."""

    directory: Directory
    directory_extra: tuple[Directory, ...]
    by_code: Mapping[str, CountryResources]

    @property
    def directories(self) -> tuple[Directory, ...]:
        """All directories, the main one first."""
        return (self.directory, *self.directory_extra)

    def for_country(self, code: str) -> CountryResources | None:
        """Return the resources for a country code (any case, spaces ignored), or None if not covered."""
        return self.by_code.get(code.strip().upper())

    def countries(self) -> list[tuple[str, str]]:
        """Every covered country as (code, name), sorted by name (for autocomplete)."""
        ordered = sorted(self.by_code.values(), key=lambda c: (_fold(c.name), c.code))
        return [(c.code, c.name) for c in ordered]

    def search_countries(self, query: str, limit: int = MAX_SEARCH_RESULTS) -> list[tuple[str, str]]:
        """Countries whose code starts with `query` or whose name or an alias matches it, best first.

        Case and accents are ignored. An exact code comes first, then names starting with the query, then
        aliases ("UK", "Deutschland") starting with it, then codes starting with it, then names or aliases
        with a word starting with it, then names or aliases containing it anywhere; ties go by name. An
        empty query lists the first `limit` countries by name.
        """
        folded = _fold(query).strip()
        if not folded:
            return self.countries()[:limit]
        ranked: list[tuple[int, str, str, str]] = []
        for country in self.by_code.values():
            rank = _match_rank(country, folded)
            if rank is not None:
                ranked.append((rank, _fold(country.name), country.code, country.name))
        ranked.sort()
        return [(code, name) for _, _, code, name in ranked[:limit]]

    def stale(self, today: date, max_age_days: int = DEFAULT_MAX_AGE_DAYS) -> list[str]:
        """Descriptions of entries last checked more than `max_age_days` before `today`."""
        found: list[str] = []

        def note(what: str, checked: date) -> None:
            age = (today - checked).days
            if age > max_age_days:
                found.append(f"{what}: last checked {checked.isoformat()} ({age} days ago)")

        for index, directory in enumerate(self.directories):
            label = "directory" if index == 0 else f"directory_extra[{index - 1}]"
            note(f"{label} {directory.name}", directory.checked)
        for code in sorted(self.by_code):
            country = self.by_code[code]
            note(f"{code} emergency number {country.emergency}", country.emergency_checked)
            for service in country.services:
                note(f"{code} {service.name}", service.checked)
        return found


def default_resources_path() -> Path:
    """Return the path of the shipped `data/crisis_resources.toml` of this repository."""
    return Path(__file__).resolve().parents[2] / "data" / "crisis_resources.toml"


def load_resources(path: Path, today: date | None = None) -> Resources:
    """Read and validate a crisis resources file; raise `DataFileError` naming the file and the problem.

    With `today`, a `checked` date later than `today` is an error too (a typo, or a check not yet made).
    """
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError:
        raise DataFileError(path, "the file does not exist") from None
    except OSError as exc:
        raise DataFileError(path, f"the file cannot be read ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise DataFileError(path, f"this is not valid TOML ({exc})") from None
    except UnicodeDecodeError:
        raise DataFileError(path, "the file is not UTF-8 text") from None
    return _Validator(path, today).resources(raw)


def _fold(text: str) -> str:
    """Lower case without accents, for matching what people type against names."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _match_rank(country: CountryResources, query: str) -> int | None:
    if country.code.casefold() == query:
        return 0
    name = _fold(country.name)
    aliases = [_fold(alias) for alias in country.aliases]
    if name.startswith(query):
        return 1
    if any(alias.startswith(query) for alias in aliases):
        return 2
    if country.code.casefold().startswith(query):
        return 3
    names = [name, *aliases]
    if any(word.startswith(query) for text in names for word in _NOT_ALNUM.split(text) if word):
        return 4
    if any(query in text for text in names):
        return 5
    return None


class _Validator:
    """Turns the parsed TOML into `Resources`, raising `DataFileError` at the first problem."""

    def __init__(self, path: Path, today: date | None) -> None:
        self.path = path
        self.today = today

    def fail(self, problem: str) -> DataFileError:
        return DataFileError(self.path, problem)

    def resources(self, raw: dict[str, Any]) -> Resources:
        self.keys(raw, "the top level", _TOP_REQUIRED, _TOP_OPTIONAL)
        version = raw["schema_version"]
        if type(version) is not int:
            raise self.fail(f"schema_version must be a whole number (this version of the bot reads {SCHEMA_VERSION})")
        if version != SCHEMA_VERSION:
            raise self.fail(f"schema_version is {version!r}; this version of the bot reads {SCHEMA_VERSION}")
        directory = self.directory(raw["directory"], "directory")
        extra_raw = raw.get("directory_extra", [])
        if not isinstance(extra_raw, list):
            raise self.fail("directory_extra must be a list of tables ([[directory_extra]])")
        extra = tuple(self.directory(item, f"directory_extra[{i}]") for i, item in enumerate(extra_raw))
        countries_raw = raw["countries"]
        if not isinstance(countries_raw, dict) or not countries_raw:
            raise self.fail("countries must be a table with at least one country ([countries.XX])")
        by_code = {code: self.country(code, value) for code, value in countries_raw.items()}
        return Resources(directory=directory, directory_extra=extra, by_code=by_code)

    def directory(self, raw: object, where: str) -> Directory:
        table = self.table(raw, where)
        self.keys(table, where, _DIRECTORY_REQUIRED, _DIRECTORY_OPTIONAL)
        return Directory(
            name=self.text(table, "name", where),
            url=self.link(table, "url", where),
            description=self.optional_text(table, "description", where),
            source=self.source(table, "source", where),
            checked=self.checked(table, "checked", where),
        )

    def country(self, code: str, raw: object) -> CountryResources:
        where = f"countries.{code}"
        if not _COUNTRY_CODE.fullmatch(code):
            raise self.fail(f"{where}: country codes are two upper-case letters (ISO 3166-1 alpha-2)")
        if code not in ISO_3166_ALPHA2:
            raise self.fail(f"{where}: {code} is not an ISO 3166-1 alpha-2 country code")
        table = self.table(raw, where)
        if "services" not in table:
            raise self.fail(f"{where}: needs at least one service ([[{where}.services]])")
        self.keys(table, where, _COUNTRY_REQUIRED, _COUNTRY_OPTIONAL)
        services_raw = table["services"]
        if not isinstance(services_raw, list) or not services_raw:
            raise self.fail(f"{where}: needs at least one service ([[{where}.services]])")
        services = tuple(self.service(item, f"{where}.services[{i}]") for i, item in enumerate(services_raw))
        names = [service.name.casefold() for service in services]
        for name in names:
            if names.count(name) > 1:
                raise self.fail(f"{where}: two services are both named {name!r}")
        return CountryResources(
            code=code,
            name=self.text(table, "name", where),
            aliases=self.texts(table, "aliases", where),
            emergency=self.phone(table, "emergency", where),
            emergency_note=self.optional_text(table, "emergency_note", where),
            emergency_source=self.source(table, "emergency_source", where),
            emergency_checked=self.checked(table, "emergency_checked", where),
            services=services,
        )

    def service(self, raw: object, where: str) -> Service:
        table = self.table(raw, where)
        self.keys(table, where, _SERVICE_REQUIRED, _SERVICE_OPTIONAL)
        if "phone" not in table and "text" not in table:
            raise self.fail(f"{where}: a service needs a phone number or a text line (phone or text)")
        languages = self.texts(table, "languages", where)
        for language in languages:
            if not _LANGUAGE.fullmatch(language):
                raise self.fail(
                    f"{where}.languages: {language!r} is not a lower-case ISO 639 code such as 'en' or 'yue'"
                )
        return Service(
            name=self.text(table, "name", where),
            phone=self.phone(table, "phone", where) if "phone" in table else None,
            other_phones=tuple(
                self.phone_value(value, f"{where}.other_phones") for value in self.texts(table, "other_phones", where)
            ),
            text=self.optional_text(table, "text", where),
            hours=self.optional_text(table, "hours", where),
            website=self.link(table, "website", where) if "website" in table else None,
            languages=languages,
            note=self.optional_text(table, "note", where),
            source=self.source(table, "source", where),
            more_sources=tuple(
                self.source_value(value, f"{where}.more_sources") for value in self.texts(table, "more_sources", where)
            ),
            checked=self.checked(table, "checked", where),
        )

    # --- single values ------------------------------------------------------------------------------

    def table(self, raw: object, where: str) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise self.fail(f"{where} must be a table")
        return raw

    def keys(self, table: Mapping[str, Any], where: str, required: Sequence[str], optional: Sequence[str]) -> None:
        missing = [key for key in required if key not in table]
        if missing:
            raise self.fail(f"{where} is missing {', '.join(missing)}")
        unknown = sorted(key for key in table if key not in required and key not in optional)
        if unknown:
            allowed = ", ".join((*required, *optional))
            raise self.fail(f"{where} has unknown key(s) {', '.join(unknown)} (allowed: {allowed})")

    def text(self, table: Mapping[str, Any], key: str, where: str) -> str:
        value = table[key]
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{where}.{key} must be non-empty text")
        return value.strip()

    def optional_text(self, table: Mapping[str, Any], key: str, where: str) -> str | None:
        return self.text(table, key, where) if key in table else None

    def texts(self, table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(f"{where}.{key} must be a list of non-empty texts")
        return tuple(v.strip() for v in value)

    def phone(self, table: Mapping[str, Any], key: str, where: str) -> str:
        return self.phone_value(table[key], f"{where}.{key}")

    def phone_value(self, value: object, where: str) -> str:
        if not isinstance(value, str):
            raise self.fail(f"{where} must be a phone number written as text, in quotes")
        number = value.strip()
        if not _PHONE.fullmatch(number):
            raise self.fail(f"{where}: {value!r} is not a phone number (only digits, spaces, '+', '-' and parentheses)")
        return number

    def link(self, table: Mapping[str, Any], key: str, where: str) -> str:
        """Read a link that members will be shown: https only."""
        value = self.text(table, key, where)
        if not value.startswith("https://") or len(value) <= len("https://") or any(c.isspace() for c in value):
            raise self.fail(f"{where}.{key}: {value!r} must be an https:// link without spaces")
        return value

    def source(self, table: Mapping[str, Any], key: str, where: str) -> str:
        return self.source_value(table[key], f"{where}.{key}")

    def source_value(self, value: object, where: str) -> str:
        """Where a number was confirmed: the page's address as it was read, so http:// is allowed here."""
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{where} must be the address of the page the entry was confirmed on")
        address = value.strip()
        scheme, _, rest = address.partition("://")
        if scheme not in ("https", "http") or not rest or any(c.isspace() for c in address):
            raise self.fail(f"{where}: {value!r} must be a web address starting with https:// (or http://)")
        return address

    def checked(self, table: Mapping[str, Any], key: str, where: str) -> date:
        value = table[key]
        # A TOML date-time is a datetime, which is also a date: only a plain date is accepted.
        if not isinstance(value, date) or isinstance(value, datetime):
            raise self.fail(f"{where}.{key} must be a TOML date such as 2026-11-22 (no quotes, no time)")
        if self.today is not None and value > self.today:
            raise self.fail(f"{where}.{key} is {value.isoformat()}, later than today ({self.today.isoformat()})")
        return value
