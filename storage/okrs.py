"""Objectives and key results as domain values, and the upsert behind `okrbot import okrs`."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from okrbot.bot.domain import Approval, KeyResult, Level, Objective, Source
from okrbot.bot.import_problems import Problem, raise_problems
from okrbot.bot.okr_import import KeyResultRecord, ObjectiveRecord, OkrDiff, OkrFile
from okrbot.storage.convert import to_key_result, to_objective
from okrbot.storage.models import KeyResultRow, ObjectiveRow, PersonRow


async def get_objective(session: AsyncSession, objective_id: int) -> Objective | None:
    row = await session.get(ObjectiveRow, objective_id)
    return to_objective(row) if row is not None else None


async def get_key_result(session: AsyncSession, key_result_id: int) -> KeyResult | None:
    row = await session.get(KeyResultRow, key_result_id)
    return to_key_result(row) if row is not None else None


def approved() -> ColumnElement[bool]:
    """Objectives that count: a chat draft waiting for its owner's manager is not prompted,
    browsed, reported or scored until approved."""
    return ObjectiveRow.approval == Approval.APPROVED.value


def _live() -> ColumnElement[bool]:
    return and_(ObjectiveRow.archived_at.is_(None), approved())


def _owned_or_contributed(owner_ids: Collection[int]) -> ColumnElement[bool]:
    """Objectives these people own or own a live key result of: what "their OKRs" means to
    someone who contributes one key result to a team objective."""
    owns_a_key_result = select(KeyResultRow.objective_id).where(
        KeyResultRow.owner_id.in_(owner_ids), KeyResultRow.archived_at.is_(None)
    )
    return or_(ObjectiveRow.owner_id.in_(owner_ids), ObjectiveRow.id.in_(owns_a_key_result))


async def objectives_for_quarter(
    session: AsyncSession,
    quarter: str,
    owner_id: int | None = None,
    include_archived: bool = False,
    include_pending: bool = False,
) -> list[Objective]:
    """The quarter's objectives with their key results, in their planned order; what
    `import okrs --prune` archived only with `include_archived`, chat drafts still waiting for
    approval only with `include_pending`.

    With `owner_id`, only the objectives that person owns or owns a key result of.
    """
    query = select(ObjectiveRow).where(ObjectiveRow.quarter == quarter)
    if not include_archived:
        query = query.where(ObjectiveRow.archived_at.is_(None))
    if not include_pending:
        query = query.where(approved())
    if owner_id is not None:
        query = query.where(_owned_or_contributed([owner_id]))
    rows = await session.scalars(query.order_by(ObjectiveRow.position, ObjectiveRow.id))
    return [to_objective(row, include_archived=include_archived) for row in rows]


async def objectives_of_people(
    session: AsyncSession, quarter: str, person_ids: Collection[int]
) -> list[Objective]:
    """The quarter's live objectives that any of these people own or own a key result of (a
    team's OKRs), in their planned order."""
    rows = await session.scalars(
        select(ObjectiveRow)
        .where(
            ObjectiveRow.quarter == quarter,
            _live(),
            _owned_or_contributed(person_ids),
        )
        .order_by(ObjectiveRow.position, ObjectiveRow.id)
    )
    return [to_objective(row) for row in rows]


async def search_objectives(
    session: AsyncSession, quarter: str, words: Sequence[str]
) -> list[Objective]:
    """The quarter's live objectives in which every word appears, ignoring case, in the
    objective's title or a live key result's title; `%` and `_` are taken literally."""
    query = select(ObjectiveRow).where(ObjectiveRow.quarter == quarter, _live())
    for word in words:
        wanted = word.lower()
        in_a_key_result = select(KeyResultRow.objective_id).where(
            KeyResultRow.archived_at.is_(None),
            func.lower(KeyResultRow.title).contains(wanted, autoescape=True),
        )
        query = query.where(
            or_(
                func.lower(ObjectiveRow.title).contains(wanted, autoescape=True),
                ObjectiveRow.id.in_(in_a_key_result),
            )
        )
    rows = await session.scalars(query.order_by(ObjectiveRow.position, ObjectiveRow.id))
    return [to_objective(row) for row in rows]


async def alignment(
    session: AsyncSession, objectives: Sequence[Objective]
) -> tuple[dict[int, Objective], dict[int, list[Objective]]]:
    """Both directions of alignment for these objectives: the live objectives they support
    (their parents, by id) and the live objectives that support them (children, by parent id)."""
    parent_ids = {o.parent_id for o in objectives if o.parent_id is not None}
    ids = [o.id for o in objectives]
    parents: dict[int, Objective] = {}
    children: dict[int, list[Objective]] = {}
    if parent_ids:
        rows = await session.scalars(
            select(ObjectiveRow).where(ObjectiveRow.id.in_(parent_ids), _live())
        )
        parents = {row.id: to_objective(row, with_key_results=False) for row in rows}
    if ids:
        rows = await session.scalars(
            select(ObjectiveRow)
            .where(ObjectiveRow.parent_id.in_(ids), _live())
            .order_by(ObjectiveRow.position, ObjectiveRow.id)
        )
        for row in rows:
            child = to_objective(row, with_key_results=False)
            children.setdefault(row.parent_id or 0, []).append(child)
    return parents, children


async def company_objectives(session: AsyncSession, quarter: str) -> list[Objective]:
    """The quarter's company-level objectives, in their planned order: for everyone to see."""
    rows = await session.scalars(
        select(ObjectiveRow)
        .where(
            ObjectiveRow.quarter == quarter,
            ObjectiveRow.level == Level.COMPANY.value,
            _live(),
        )
        .order_by(ObjectiveRow.position, ObjectiveRow.id)
    )
    return [to_objective(row) for row in rows]


async def key_results_owned_by(
    session: AsyncSession, person_id: int, quarter: str
) -> list[KeyResult]:
    """A person's key results in a quarter, in the order of their objectives."""
    rows = await session.scalars(
        select(KeyResultRow)
        .join(ObjectiveRow, KeyResultRow.objective_id == ObjectiveRow.id)
        .where(
            ObjectiveRow.quarter == quarter,
            KeyResultRow.owner_id == person_id,
            KeyResultRow.archived_at.is_(None),
            approved(),
        )
        .order_by(ObjectiveRow.position, ObjectiveRow.id, KeyResultRow.position, KeyResultRow.id)
    )
    return [to_key_result(row) for row in rows]


async def objective_parents(session: AsyncSession, quarter: str) -> dict[str, str | None]:
    """Title → parent title for a quarter's stored objectives, for checking an import."""
    rows = (
        await session.scalars(select(ObjectiveRow).where(ObjectiveRow.quarter == quarter))
    ).all()
    titles = {row.id: row.title for row in rows}
    return {row.title: titles.get(row.parent_id) if row.parent_id else None for row in rows}


def _assign(row: Any, **values: Any) -> list[str]:
    """Set the attributes that differ; return their names, for the import summary."""
    changed = []
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed.append(name)
    return changed


# How the summary names a changed column.
FIELD_NAMES = {
    "external_id": "id",
    "owner_id": "owner",
    "position": "order",
    "parent_id": "parent",
    "archived_at": "restored from the archive",
}


def _fields(names: list[str]) -> str:
    return ", ".join(FIELD_NAMES.get(name, name) for name in dict.fromkeys(names))


class _Matcher:
    """Pairs the file's records with stored rows: by `id:` first, then by title among the rows
    no id claimed. A row is never matched twice, and every conflict becomes a Problem."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.claimed: set[int] = set()
        self.refused: set[int] = set()  # records already reported

    def match(
        self,
        records: Sequence[ObjectiveRecord | KeyResultRecord],
        rows: list[Any],
        what: str,
    ) -> list[Any]:
        by_id = {row.external_id: row for row in rows if row.external_id}
        by_title = {row.title: row for row in rows}
        found: list[Any] = [None] * len(records)
        for index, record in enumerate(records):
            row = by_id.get(record.external_id) if record.external_id else None
            if row is not None:
                found[index] = row
                self.claimed.add(id(row))
        for index, record in enumerate(records):
            if found[index] is not None:
                continue
            row = by_title.get(record.title)
            if row is None or id(row) in self.claimed:
                continue
            if record.external_id and row.external_id and row.external_id != record.external_id:
                self.bad(
                    record.id_line,
                    "id",
                    f"the {what} titled {record.title!r} has the id {row.external_id!r} in the "
                    f"database; keep that id, or give this {what} a new title",
                )
                self.refused.add(id(record))
                continue
            found[index] = row
            self.claimed.add(id(row))
        for index, record in enumerate(records):
            row = found[index]
            if id(record) in self.refused:
                continue
            taken = by_title.get(record.title)
            if taken is not None and taken is not row and id(taken) not in self.claimed:
                archived = ", archived" if taken.archived_at is not None else ""
                hint = (
                    f" or give this one its id ({taken.external_id!r})" if taken.external_id else ""
                )
                self.bad(
                    record.line,
                    "title",
                    f"another {what} is titled {record.title!r} (not in this file{archived}); "
                    f"titles are unique, so rename one of them{hint}",
                )
        return found

    def bad(self, line: int, key: str, message: str) -> None:
        self.problems.append(Problem(self.file, line, key, message))


@dataclass(slots=True)
class _Change:
    """A stored objective or key result the file names, and what the import changes on it."""

    row: ObjectiveRow | KeyResultRow
    what: str  # "objective 'X'" or "key result 'Y' of 'X'"
    fields: list[str]
    title: str  # the file's
    old_title: str | None = None


async def upsert_okrs(
    session: AsyncSession, okrs: OkrFile, now: datetime, prune: bool = False
) -> OkrDiff:
    """Create, update, rename and (with `prune`) archive so that the quarter matches a checked
    OKR file (see `check_okrs`). Objectives are matched by `id:` within the quarter, else by
    title; key results by `id:` (which must stay under the same objective), else by title within
    their objective. A match keeps its check-ins and current value. Without `prune`, what the
    file no longer has is left alone and listed. Raises ImportFailed on a conflict with what is
    stored; the caller's transaction then writes nothing."""
    assert okrs.quarter is not None
    people = {
        email.lower(): person_id
        for person_id, email in (await session.execute(select(PersonRow.id, PersonRow.email)))
    }
    quarter_rows = list(
        await session.scalars(
            select(ObjectiveRow)
            .where(ObjectiveRow.quarter == okrs.quarter)
            .order_by(ObjectiveRow.position, ObjectiveRow.id)
        )
    )
    # Objectives people drafted in chat are theirs, not the file's: an import never matches,
    # changes or archives them, and a file objective may not take one's title.
    stored = [row for row in quarter_rows if row.source != Source.CHAT.value]
    drafted = {row.title: row for row in quarter_rows if row.source == Source.CHAT.value}
    records = list(okrs.objectives)
    matcher = _Matcher(okrs.file)
    for record in records:
        if record.title in drafted:
            matcher.bad(
                record.line,
                "title",
                f"an objective drafted in chat is titled {record.title!r}; titles are unique "
                "in a quarter and an import leaves chat objectives alone, so give this one "
                "another title",
            )
    matched = matcher.match(records, stored, "objective")
    stored_key_results = {objective.id: list(objective.key_results) for objective in stored}
    kr_matches = [
        _match_key_results(matcher, record, row, stored)
        for record, row in zip(records, matched, strict=True)
    ]
    raise_problems(matcher.problems)

    diff = OkrDiff()
    changes: list[_Change] = []
    final: dict[str, ObjectiveRow] = {}
    for position, (record, row) in enumerate(zip(records, matched, strict=True)):
        values: dict[str, Any] = {
            "description": record.description,
            "level": record.level.value,
            "kind": record.kind.value,
            "owner_id": people[record.owner_email],
            "position": position,
            "archived_at": None,
        }
        if record.external_id:
            values["external_id"] = record.external_id
        what = f"objective {record.title!r}"
        if row is None:
            row = ObjectiveRow(quarter=okrs.quarter, title=record.title, key_results=[], **values)
            session.add(row)
            diff.objectives.created += 1
            diff.changes.append(f"created {what}")
        else:
            change = _Change(row, what, _assign(row, **values), record.title)
            if row.title != record.title:
                change.old_title = row.title
            changes.append(change)
        final[record.title] = row
        for kr_position, (kr, kr_row) in enumerate(
            zip(record.key_results, kr_matches[position], strict=True)
        ):
            kr_values: dict[str, Any] = {
                "owner_id": people[kr.owner_email],
                "type": kr.type.value,
                "start": kr.start,
                "target": kr.target,
                "unit": kr.unit,
                "position": kr_position,
                "archived_at": None,
            }
            if kr.external_id:
                kr_values["external_id"] = kr.external_id
            kr_what = f"key result {kr.title!r} of {record.title!r}"
            if kr_row is None:
                row.key_results.append(KeyResultRow(title=kr.title, current=kr.start, **kr_values))
                diff.key_results.created += 1
                diff.changes.append(f"created {kr_what}")
                continue
            if kr_row.type != kr.type.value:
                # A value measured in the old type's units means nothing in the new one.
                kr_values["current"] = kr.start
            change = _Change(kr_row, kr_what, _assign(kr_row, **kr_values), kr.title)
            if kr_row.title != kr.title:
                change.old_title = kr_row.title
            changes.append(change)
    stored_titles = {row.title: row for row in quarter_rows}  # the names `parent:` may use
    await _rename(session, [change for change in changes if change.old_title is not None])
    await session.flush()

    change_of = {id(change.row): change for change in changes}
    for record in records:
        parent = record.parent_title
        row = final[record.title]
        parent_row = (final.get(parent) or stored_titles[parent]) if parent else None
        if _assign(row, parent_id=parent_row.id if parent_row else None) and id(row) in change_of:
            change_of[id(row)].fields.append("parent_id")

    for change in changes:
        counts = diff.objectives if isinstance(change.row, ObjectiveRow) else diff.key_results
        if change.old_title is not None:
            counts.renamed += 1
            kind = "objective" if isinstance(change.row, ObjectiveRow) else "key result"
            also = f" (also {_fields(change.fields)})" if change.fields else ""
            diff.changes.append(f"renamed {kind} {change.old_title!r} → {change.row.title!r}{also}")
        elif change.fields:
            counts.updated += 1
            diff.changes.append(f"updated {change.what}: {_fields(change.fields)}")
        else:
            counts.unchanged += 1

    _leftovers(stored, stored_key_results, matched, kr_matches, now, prune, diff)
    await session.flush()
    return diff


def _match_key_results(
    matcher: _Matcher,
    record: ObjectiveRecord,
    row: ObjectiveRow | None,
    stored: list[ObjectiveRow],
) -> list[Any]:
    """Match an objective's key results; an id that belongs to another objective's key result
    (archived ones included) is a problem: check-ins cannot follow a key result elsewhere."""
    home = {kr.external_id: (objective, kr) for objective in stored for kr in objective.key_results}
    for kr in record.key_results:
        found = home.get(kr.external_id) if kr.external_id else None
        if id(record) in matcher.refused:
            break  # its key results cannot be matched before it is
        if found is not None and found[0] is not row:
            objective, other = found
            archived = ", archived" if other.archived_at is not None else ""
            matcher.bad(
                kr.id_line,
                "id",
                f"{kr.external_id!r} is the id of the key result {other.title!r}{archived} of "
                f"the objective {objective.title!r}; a key result cannot move to another "
                "objective, so give this one a new id",
            )
    rows = list(row.key_results) if row is not None else []
    return matcher.match(list(record.key_results), rows, "key result")


async def _rename(session: AsyncSession, renames: list[_Change]) -> None:
    """Titles are unique, and a file may swap two: park each renamed row on a title nobody
    uses first, then give it its new one."""
    if not renames:
        return
    for change in renames:
        change.row.title = f"\u2063renaming {change.row.id}"
    await session.flush()
    for change in renames:
        change.row.title = change.title


def _leftovers(
    stored: list[ObjectiveRow],
    stored_key_results: dict[int, list[KeyResultRow]],
    matched: list[Any],
    kr_matches: list[list[Any]],
    now: datetime,
    prune: bool,
    diff: OkrDiff,
) -> None:
    """Archive (with prune) or list what the quarter has and the file does not."""
    named = {id(row) for row in matched if row is not None}
    named |= {id(kr) for krs in kr_matches for kr in krs if kr is not None}
    for objective in stored:
        leftovers: list[tuple[Any, str]] = []
        if id(objective) not in named and objective.archived_at is None:
            leftovers.append((objective, f"objective {objective.title!r}"))
        for kr in stored_key_results[objective.id]:
            if id(kr) not in named and kr.archived_at is None:
                leftovers.append((kr, f"key result {kr.title!r} of {objective.title!r}"))
        for row, what in leftovers:
            if prune:
                row.archived_at = now
                counts = diff.objectives if isinstance(row, ObjectiveRow) else diff.key_results
                counts.archived += 1
                diff.changes.append(f"archived {what}")
            else:
                diff.not_in_file.append(what)
