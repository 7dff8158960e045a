"""The demo's sample company: people and OKRs, written as ordinary import files.

The shape (departments, objectives, key-result templates, names) ships with the package in
`bot/samples/company.yaml`; this turns it into a people CSV and an OKR YAML file for any size,
deterministically for a seed, so the demo imports them exactly as an admin would.
"""

from __future__ import annotations

import csv
import random
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from okrbot.adapters.teams.sandbox import user_id_for

DOMAIN = "demo.okrbot.example"
QUARTER = "2026-Q4"
# A company holiday in the quarter (a Monday): that week's prompts go out on Tuesday.
HOLIDAY = date(2026, 10, 12)
# A new hire is imported partway through the quarter, on this Wednesday (week 43).
JOINS_ON = date(2026, 10, 21)


@dataclass
class DemoPerson:
    email: str
    name: str
    timezone: str
    platform: str
    manager_email: str | None
    department: str | None
    slack_user_id: str | None = None
    teams_aad_id: str | None = None
    teams_user_id: str | None = None
    checkin_day: str | None = None
    checkin_time: str | None = None
    reports: list[str] = field(default_factory=list)
    joins_on: date | None = None

    @property
    def first_name(self) -> str:
        return self.name.split()[0]


@dataclass
class DemoCompany:
    people: list[DemoPerson]
    okrs: dict[str, Any]
    catalog: dict[str, Any]

    def by_email(self, email: str) -> DemoPerson:
        return next(p for p in self.people if p.email == email)

    @property
    def joiner(self) -> DemoPerson:
        return next(p for p in self.people if p.joins_on is not None)

    def write(self, folder: Path, today: date | None = None) -> tuple[Path, Path]:
        """The import files as HR has them on `today` (before the new hire joins: without
        them); without a day, everyone."""
        later = {
            p.email
            for p in self.people
            if p.joins_on is not None and today is not None and today < p.joins_on
        }
        folder.mkdir(parents=True, exist_ok=True)
        people_file, okrs_file = folder / "people.csv", folder / "okrs.yaml"
        with people_file.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                [
                    "email",
                    "name",
                    "manager_email",
                    "timezone",
                    "slack_user_id",
                    "teams_aad_id",
                    "checkin_day",
                    "checkin_time",
                ]
            )
            for p in self.people:
                if p.email in later:
                    continue
                writer.writerow(
                    [
                        p.email,
                        p.name,
                        p.manager_email or "",
                        p.timezone,
                        p.slack_user_id or "",
                        p.teams_aad_id or "",
                        p.checkin_day or "",
                        p.checkin_time or "",
                    ]
                )
        okrs = {
            **self.okrs,
            "objectives": [o for o in self.okrs["objectives"] if o["owner"] not in later],
        }
        okrs_file.write_text(
            yaml.dump(okrs, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True),
            encoding="utf-8",
        )
        return people_file, okrs_file


class _PlainDumper(yaml.SafeDumper):
    """Writes shared templates out in full: import files take no YAML aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def load_catalog() -> dict[str, Any]:
    text = resources.files("okrbot.bot").joinpath("samples/company.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def _email(name: str, taken: set[str]) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = ascii_name.lower().replace(" ", ".")
    email, n = f"{base}@{DOMAIN}", 2
    while email in taken:
        email, n = f"{base}{n}@{DOMAIN}", n + 1
    taken.add(email)
    return email


def build_company(people_below_ceo: int = 15, seed: int = 7) -> DemoCompany:
    """A CEO, a manager per department (up to three), and the rest spread across teams."""
    if people_below_ceo < 1:
        raise ValueError("--people: the company needs at least one person below the CEO")
    rng = random.Random(seed)
    catalog = load_catalog()
    departments = catalog["departments"][: max(1, min(3, people_below_ceo // 3))]
    taken: set[str] = set()
    ids = iter(range(1, 10_000_000))

    def identity(person: DemoPerson) -> DemoPerson:
        number = next(ids)
        if person.platform == "slack":
            person.slack_user_id = f"U{number:08X}"
        else:
            person.teams_aad_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            person.teams_user_id = user_id_for(person.teams_aad_id)
        return person

    ceo_spec = catalog["company"]["ceo"]
    ceo = identity(
        DemoPerson(
            _email(ceo_spec["name"], taken),
            ceo_spec["name"],
            ceo_spec["timezone"],
            ceo_spec["platform"],
            None,
            None,
        )
    )
    people = [ceo]
    managers: list[DemoPerson] = []
    for department in departments:
        spec = department["manager"]
        manager = identity(
            DemoPerson(
                _email(spec["name"], taken),
                spec["name"],
                spec["timezone"],
                spec["platform"],
                ceo.email,
                department["name"],
            )
        )
        managers.append(manager)
        people.append(manager)
        ceo.reports.append(manager.email)
    first_names, last_names = list(catalog["first_names"]), list(catalog["last_names"])
    rng.shuffle(first_names)
    rng.shuffle(last_names)
    for index in range(people_below_ceo - len(managers)):
        department = departments[index % len(departments)]
        manager = managers[index % len(managers)]
        name = f"{first_names[index % len(first_names)]} {last_names[index % len(last_names)]}"
        person = identity(
            DemoPerson(
                _email(name, taken),
                name,
                rng.choice(department["people_timezones"]),
                department["platform"],
                manager.email,
                department["name"],
            )
        )
        if rng.random() < 0.2:  # some people pick their own moment
            person.checkin_day, person.checkin_time = rng.choice(
                [("tue", "09:30"), ("mon", "14:00"), ("wed", "11:00")]
            )
        manager.reports.append(person.email)
        people.append(person)
    # The new hire joins the first team partway through the quarter.
    count = people_below_ceo - len(managers)
    name = f"{first_names[count % len(first_names)]} {last_names[(count + 1) % len(last_names)]}"
    joiner = identity(
        DemoPerson(
            _email(name, taken),
            name,
            departments[0]["people_timezones"][0],
            departments[0]["platform"],
            managers[0].email,
            departments[0]["name"],
            joins_on=JOINS_ON,
        )
    )
    managers[0].reports.append(joiner.email)
    people.append(joiner)
    return DemoCompany(people, _okrs(catalog, ceo, managers, departments, people, rng), catalog)


def _okrs(
    catalog: dict[str, Any],
    ceo: DemoPerson,
    managers: list[DemoPerson],
    departments: list[dict[str, Any]],
    people: list[DemoPerson],
    rng: random.Random,
) -> dict[str, Any]:
    company = catalog["company"]["objectives"][0]
    objectives: list[dict[str, Any]] = [
        {
            "title": company["title"],
            "owner": ceo.email,
            "level": "company",
            "kind": company["kind"],
            "description": company["description"],
            "key_results": company["key_results"],
        }
    ]
    for manager, department in zip(managers, departments, strict=True):
        team = department["objective"]
        objectives.append(
            {
                "title": team["title"],
                "owner": manager.email,
                "level": "team",
                "kind": team["kind"],
                "parent": company["title"],
                "key_results": team["key_results"],
            }
        )
        members = [p for p in people if p.manager_email == manager.email]
        for number, member in enumerate(members):
            template = department["personal"][number % len(department["personal"])]
            objectives.append(
                {
                    "title": f"{template['title']} ({member.first_name})",
                    "owner": member.email,
                    "level": "personal",
                    "kind": rng.choice(["aspirational", "committed"]),
                    "parent": team["title"],
                    "key_results": template["key_results"],
                }
            )
    return {"quarter": QUARTER, "objectives": objectives}
