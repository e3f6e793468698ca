"""What people type for a time zone -> an IANA zone, or a short list to choose from.

`GMT+1` and `UTC+2` mean "one/two hours ahead of UTC" (the POSIX-style `Etc/GMT+1` is UTC-1: the sign is inverted
there, so `GMT+1` becomes `Etc/GMT-1`); a half-hour offset (`UTC+5:30`) offers the zones that are at that offset now.
Ambiguous abbreviations ask (`IST`: Asia/Kolkata, Europe/Dublin, Asia/Jerusalem); unambiguous ones and well-known
cities without a zone of their own (`San Francisco`, `Munich`, `Bangalore`) resolve directly; `Europe/Berln` gets a
"did you mean". Pure: no I/O, no platform.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional
from zoneinfo import ZoneInfo, available_timezones

from rapidfuzz import fuzz, process, utils

ZONES = sorted(available_timezones())
_LOWER = {z.lower(): z for z in ZONES}
_ZONESET = frozenset(ZONES)
_CITIES = {z.rsplit("/", 1)[-1].lower(): z for z in ZONES if "/" in z and not z.startswith("Etc/")}

# abbreviations people use, with the zone(s) they mean; several = ambiguous, ask
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "ist": ("Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"),
    "cst": ("America/Chicago", "Asia/Shanghai", "America/Havana"),
    "bst": ("Europe/London", "Asia/Dhaka"),
    "ast": ("America/Halifax", "Asia/Riyadh"),
    "est": ("America/New_York",), "edt": ("America/New_York",), "et": ("America/New_York",),
    "cdt": ("America/Chicago",), "ct": ("America/Chicago",),
    "mst": ("America/Denver", "America/Phoenix"), "mdt": ("America/Denver",), "mt": ("America/Denver",),
    "pst": ("America/Los_Angeles",), "pdt": ("America/Los_Angeles",), "pt": ("America/Los_Angeles",),
    "akst": ("America/Anchorage",), "hst": ("Pacific/Honolulu",),
    "cet": ("Europe/Berlin", "Europe/Paris"), "cest": ("Europe/Berlin", "Europe/Paris"),
    "eet": ("Europe/Athens", "Europe/Helsinki"), "eest": ("Europe/Athens", "Europe/Helsinki"),
    "wet": ("Europe/Lisbon",), "msk": ("Europe/Moscow",), "sast": ("Africa/Johannesburg",),
    "wat": ("Africa/Lagos",), "eat": ("Africa/Nairobi",), "pkt": ("Asia/Karachi",), "ict": ("Asia/Bangkok",),
    "wib": ("Asia/Jakarta",), "sgt": ("Asia/Singapore",), "hkt": ("Asia/Hong_Kong",), "pht": ("Asia/Manila",),
    "jst": ("Asia/Tokyo",), "kst": ("Asia/Seoul",), "aest": ("Australia/Sydney",), "aedt": ("Australia/Sydney",),
    "acst": ("Australia/Adelaide",), "awst": ("Australia/Perth",), "nzst": ("Pacific/Auckland",),
    "nzdt": ("Pacific/Auckland",), "brt": ("America/Sao_Paulo",), "art": ("America/Argentina/Buenos_Aires",),
}
# big cities that share another city's zone (the IANA database names one city per zone)
CITIES: dict[str, str] = {
    "san francisco": "America/Los_Angeles", "sf": "America/Los_Angeles", "seattle": "America/Los_Angeles",
    "san diego": "America/Los_Angeles", "portland": "America/Los_Angeles", "palo alto": "America/Los_Angeles",
    "boston": "America/New_York", "washington": "America/New_York", "dc": "America/New_York",
    "miami": "America/New_York", "atlanta": "America/New_York", "philadelphia": "America/New_York",
    "nyc": "America/New_York", "pittsburgh": "America/New_York", "austin": "America/Chicago",
    "dallas": "America/Chicago", "houston": "America/Chicago", "montreal": "America/Toronto",
    "munich": "Europe/Berlin", "frankfurt": "Europe/Berlin", "hamburg": "Europe/Berlin", "cologne": "Europe/Berlin",
    "geneva": "Europe/Zurich", "milan": "Europe/Rome", "barcelona": "Europe/Madrid", "lyon": "Europe/Paris",
    "manchester": "Europe/London", "edinburgh": "Europe/London", "oxford": "Europe/London",
    "cambridge uk": "Europe/London", "tel aviv": "Asia/Jerusalem", "beijing": "Asia/Shanghai",
    "shenzhen": "Asia/Shanghai", "hangzhou": "Asia/Shanghai", "mumbai": "Asia/Kolkata", "delhi": "Asia/Kolkata",
    "new delhi": "Asia/Kolkata", "bangalore": "Asia/Kolkata", "bengaluru": "Asia/Kolkata",
    "hyderabad": "Asia/Kolkata", "chennai": "Asia/Kolkata", "osaka": "Asia/Tokyo", "kyoto": "Asia/Tokyo",
    "melbourne": "Australia/Melbourne", "canberra": "Australia/Sydney", "abu dhabi": "Asia/Dubai",
    "saint petersburg": "Europe/Moscow", "st petersburg": "Europe/Moscow", "rio": "America/Sao_Paulo",
}
_OFFSET = re.compile(r"^(?:utc|gmt|z)?\s*([+-−])\s*(\d{1,2})(?:(?::|h|\.)?(\d{2}))?$", re.IGNORECASE)


@dataclass(frozen=True)
class ZoneAnswer:
    """`zone` when the text names one zone; else `choices` to offer (several: ask; one: "did you mean")."""

    zone: Optional[str] = None
    choices: tuple[str, ...] = ()
    note: str = ""  # e.g. "a fixed offset: no daylight saving"


def _offset_zone(sign: str, hours: int, minutes: int, now: datetime) -> ZoneAnswer:
    total = (1 if sign == "+" else -1) * (hours * 60 + minutes)
    if minutes == 0 and -12 * 60 <= total <= 14 * 60:
        h = total // 60
        zone = "UTC" if h == 0 else f"Etc/GMT{'-' if h > 0 else '+'}{abs(h)}"  # POSIX sign: Etc/GMT-1 = UTC+1
        return ZoneAnswer(zone=zone, note=f"a fixed UTC{'+' if h >= 0 else '-'}{abs(h):02d}:00 with no daylight "
                                          "saving; a city (e.g. Europe/Berlin) follows the clock changes")
    at_offset = [z for z in ZONES if "/" in z and not z.startswith(("Etc/", "SystemV/"))
                 and ((now.astimezone(ZoneInfo(z)).utcoffset() or timedelta()).total_seconds() // 60) == total]
    preferred = [z for z in ("Asia/Kolkata", "Asia/Kathmandu", "Asia/Tehran", "Asia/Kabul", "Australia/Adelaide",
                             "Australia/Darwin", "America/St_Johns", "Asia/Yangon", "Pacific/Chatham",
                             "Australia/Eucla", "Pacific/Marquesas") if z in at_offset]
    return ZoneAnswer(choices=tuple((preferred + [z for z in at_offset if z not in preferred])[:5]))


def resolve(text: str, now: Optional[datetime] = None) -> ZoneAnswer:
    """Understand a typed time zone; never raises."""
    raw = " ".join((text or "").split())
    if not raw or len(raw) > 64:
        return ZoneAnswer()
    low = raw.lower()
    m = _OFFSET.match(raw.replace("−", "-"))
    if m and int(m.group(2)) <= 14 and int(m.group(3) or 0) < 60:
        return _offset_zone("+" if m.group(1) == "+" else "-", int(m.group(2)), int(m.group(3) or 0),
                            now or datetime.now(timezone.utc))
    if low in ABBREVIATIONS:
        found = ABBREVIATIONS[low]
        return ZoneAnswer(zone=found[0]) if len(found) == 1 else ZoneAnswer(choices=found)
    if low in ("utc", "gmt", "z", "zulu"):
        return ZoneAnswer(zone="UTC")
    name = raw.replace(" ", "_")
    if name in _ZONESET:
        return ZoneAnswer(zone=name)
    if name.lower() in _LOWER:
        return ZoneAnswer(zone=_LOWER[name.lower()])
    if low in CITIES:
        return ZoneAnswer(zone=CITIES[low])
    if name.lower() in _CITIES:
        return ZoneAnswer(zone=_CITIES[name.lower()])
    best = process.extractOne(name, ZONES, scorer=fuzz.WRatio, processor=utils.default_process, score_cutoff=80)
    if best is not None:
        return ZoneAnswer(choices=(best[0],))
    city = process.extractOne(name.lower().rsplit("/", 1)[-1], list(_CITIES) + list(CITIES), scorer=fuzz.ratio,
                              score_cutoff=75)
    if city is not None:
        return ZoneAnswer(choices=(_CITIES.get(city[0]) or CITIES[city[0]],))
    return ZoneAnswer()


def resolve_zone(text: str) -> tuple[Optional[str], Optional[str]]:
    """(zone, None) for a zone the text names, else (None, the first suggestion or None)."""
    answer = resolve(text)
    return answer.zone, (answer.choices[0] if answer.choices else None)
