"""Reading an OKR file (YAML) into checked records, and describing what an import changed.

`parse_okrs` checks the file's structure and values; `check_okrs` checks its references (owners,
parents) against what is already stored, passed in as plain arguments so that this module needs
no database or chat platform. `OkrDiff` is what the import (or a dry run) reports back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import yaml

from okrbot.bot.domain import Approval, KeyResultType, Level, ObjectiveKind, Source
from okrbot.bot.import_problems import Problem, is_email, new_cycle
from okrbot.bot.quarters import Quarter
from okrbot.bot.yaml_nodes import LimitedLoader, NodeReader

OBJECTIVE_KEYS = (
    "id",
    "title",
    "owner",
    "level",
    "kind",
    "description",
    "parent",
    "key_results",
    # Where it came from and its approval: `source: chat` marks an objective its owner drafted
    # in chat, which an import leaves alone (so a file that lists one still imports).
    "source",
    "approval",
    "approved_by",
)
KEY_RESULT_KEYS = ("id", "title", "owner", "type", "start", "target", "unit")


@dataclass(frozen=True, slots=True)
class KeyResultRecord:
    line: int
    title: str
    owner_email: str
    type: KeyResultType
    start: float
    target: float
    unit: str | None = None
    owner_line: int = 0
    external_id: str | None = None
    id_line: int = 0


@dataclass(frozen=True, slots=True)
class ObjectiveRecord:
    line: int
    title: str
    owner_email: str
    level: Level
    kind: ObjectiveKind = ObjectiveKind.ASPIRATIONAL
    description: str | None = None
    parent_title: str | None = None
    key_results: tuple[KeyResultRecord, ...] = ()
    owner_line: int = 0
    parent_line: int = 0
    external_id: str | None = None
    id_line: int = 0


@dataclass(frozen=True, slots=True)
class OkrFile:
    file: str
    quarter: str | None
    objectives: tuple[ObjectiveRecord, ...]
    problems: tuple[Problem, ...] = field(default=())


def parse_okrs(text: str, file: str) -> OkrFile:
    """Check the file's structure and values; references are checked by `check_okrs`."""
    try:
        loader = LimitedLoader(text)  # it checks every character here, before anything is parsed
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        character = error.character
        shown = f"U+{character:04X}" if isinstance(character, int) else repr(character)
        message = f"not valid YAML: the character {shown} is not allowed"
        return OkrFile(file, None, (), (Problem(file, line, None, message),))
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        at = mark.line + 1 if mark is not None else None
        message = f"not valid YAML: {error.problem or error.context}"
        return OkrFile(file, None, (), (Problem(file, at, None, message),))
    except yaml.YAMLError as error:
        return OkrFile(file, None, (), (Problem(file, None, None, f"not valid YAML: {error}"),))
    if root is None:
        return OkrFile(file, None, (), (Problem(file, 1, None, "the file is empty"),))
    try:
        reader = NodeReader(file, loader)
        keys = reader.mapping(root, "the file", ("quarter", "objectives"))
        if keys is None:
            return OkrFile(file, None, (), tuple(reader.problems))
        quarter = reader.text(keys, "quarter", root)
        if quarter is not None:
            try:
                quarter = Quarter.parse(quarter).id
            except ValueError as error:
                reader.bad(keys["quarter"], "quarter", str(error))
                quarter = None
        objectives = _objectives(reader, keys, root)
    finally:
        loader.dispose()
    return OkrFile(file, quarter, tuple(objectives), tuple(reader.problems))


def _objectives(
    reader: NodeReader, keys: Mapping[str, yaml.Node], root: yaml.Node
) -> list[ObjectiveRecord]:
    node = keys.get("objectives")
    if node is None:
        reader.bad(root, "objectives", "is missing")
        return []
    if not isinstance(node, yaml.SequenceNode):
        reader.bad(node, "objectives", "should be a list of objectives")
        return []
    objectives: list[ObjectiveRecord] = []
    first_line: dict[str, int] = {}
    objective_ids: dict[str, int] = {}
    key_result_ids: dict[str, int] = {}
    for item in node.value:
        before = len(reader.problems)
        fields = reader.mapping(item, "an objective", OBJECTIVE_KEYS)
        if fields is None:
            continue
        source = reader.choice(fields, "source", item, Source, Source.IMPORT)
        reader.choice(fields, "approval", item, Approval, Approval.APPROVED)
        if source is Source.CHAT:
            continue  # its owner's, drafted in chat: the import neither creates nor changes it
        external_id = reader.external_id(fields, item, objective_ids, "objectives")
        title = reader.text(fields, "title", item)
        owner = reader.text(fields, "owner", item)
        level = reader.choice(fields, "level", item, Level)
        kind = reader.choice(fields, "kind", item, ObjectiveKind, ObjectiveKind.ASPIRATIONAL)
        description = reader.text(fields, "description", item, required=False)
        parent = reader.text(fields, "parent", item, required=False)
        if owner is not None and not is_email(owner.lower()):
            reader.bad(fields["owner"], "owner", f"{owner!r} is not an email address")
        if title is not None and title in first_line:
            message = f"{title!r} appears twice; first on line {first_line[title]}"
            reader.bad(fields["title"], "title", message)
        objective_is_sound = len(reader.problems) == before
        # Keep an objective whose key results have problems (only its sound ones), so that its
        # owner and parent are still checked and reported in the same run.
        key_results = _key_results(reader, fields, owner, key_result_ids)
        if not objective_is_sound:
            continue
        assert title is not None and owner is not None
        first_line[title] = item.start_mark.line + 1
        objectives.append(
            ObjectiveRecord(
                line=item.start_mark.line + 1,
                title=title,
                owner_email=owner.lower(),
                level=level,
                kind=kind,
                description=description,
                parent_title=parent,
                key_results=tuple(key_results),
                owner_line=fields["owner"].start_mark.line + 1,
                parent_line=fields["parent"].start_mark.line + 1 if parent else 0,
                external_id=external_id,
                id_line=fields["id"].start_mark.line + 1 if external_id else 0,
            )
        )
    return objectives


def _key_results(
    reader: NodeReader,
    fields: Mapping[str, yaml.Node],
    objective_owner: str | None,
    ids: dict[str, int],
) -> list[KeyResultRecord]:
    node = fields.get("key_results")
    if node is None or (isinstance(node, yaml.ScalarNode) and reader.value(node) is None):
        return []
    if not isinstance(node, yaml.SequenceNode):
        reader.bad(node, "key_results", "should be a list of key results")
        return []
    key_results: list[KeyResultRecord] = []
    first_line: dict[str, int] = {}
    for item in node.value:
        keys = reader.mapping(item, "a key result", KEY_RESULT_KEYS)
        if keys is None:
            continue
        before = len(reader.problems)
        external_id = reader.external_id(keys, item, ids, "key results")
        title = reader.text(keys, "title", item)
        owner = reader.text(keys, "owner", item, required=False)
        if owner is not None and not is_email(owner.lower()):
            reader.bad(keys["owner"], "owner", f"{owner!r} is not an email address")
        kr_type = reader.choice(keys, "type", item, KeyResultType, KeyResultType.NUMBER)
        unit = reader.text(keys, "unit", item, required=False)
        start: float | None
        target: float | None
        if kr_type is KeyResultType.MILESTONE:
            start, target = 0.0, 1.0
            for key, expected in (("start", 0.0), ("target", 1.0)):
                if key in keys and reader.number(keys, key, item) not in (expected, None):
                    reader.bad(keys[key], key, f"a milestone's {key} is always {expected:g}")
        else:
            start = reader.number(keys, "start", item)
            target = reader.number(keys, "target", item)
            if start is not None and start == target:
                reader.bad(
                    keys["target"],
                    "target",
                    f"is the same as the start ({start:g}), so the key result would score 1.0 "
                    "before anyone checks in; a key result measures a change: set the start to "
                    "where it is today and the target to where it should get, or make it a "
                    "milestone (type: milestone)",
                )
        if title is not None and title in first_line:
            message = f"{title!r} appears twice in the objective; first on line {first_line[title]}"
            reader.bad(keys["title"], "title", message)
        if len(reader.problems) > before or objective_owner is None:
            continue
        assert title is not None and start is not None and target is not None
        first_line[title] = item.start_mark.line + 1
        owner_node = keys.get("owner") or fields["owner"]
        key_results.append(
            KeyResultRecord(
                line=item.start_mark.line + 1,
                title=title,
                owner_email=(owner or objective_owner).lower(),
                type=kr_type,
                start=start,
                target=target,
                unit=unit,
                owner_line=owner_node.start_mark.line + 1,
                external_id=external_id,
                id_line=keys["id"].start_mark.line + 1 if external_id else 0,
            )
        )
    return key_results


def check_okrs(
    okrs: OkrFile,
    emails: Iterable[str],
    stored_parents: Mapping[str, str | None],
    deactivated: Iterable[str] = (),
) -> list[Problem]:
    """Check owners against the people stored (`emails`; none `deactivated`) and parents against
    the file and the quarter's stored objectives (`stored_parents`: title → parent title),
    including cycles."""
    file = okrs.file
    problems: list[Problem] = []
    known = {email.lower() for email in emails}
    gone = {email.lower() for email in deactivated}
    for objective in okrs.objectives:
        owners = [(objective.owner_line, objective.owner_email)]
        owners += [(kr.owner_line, kr.owner_email) for kr in objective.key_results]
        for line, email in dict.fromkeys(owners):
            if email not in known:
                message = f"no person with email {email}; import people first"
                problems.append(Problem(file, line, "owner", message))
            elif email in gone:
                message = (
                    f"{email} is deactivated; give this to someone else "
                    f"(or `okrbot people reactivate {email}` first)"
                )
                problems.append(Problem(file, line, "owner", message))

    parents = dict(stored_parents)
    for objective in okrs.objectives:
        parents[objective.title] = objective.parent_title
    for objective in okrs.objectives:
        parent = objective.parent_title
        if parent is not None and parent not in parents:
            message = f"no objective titled {parent!r} in {okrs.quarter} in the file or database"
            problems.append(Problem(file, objective.parent_line, "parent", message))

    reported: set[frozenset[str]] = set()
    for objective in okrs.objectives:
        chain = new_cycle(objective.title, parents, reported)
        if not chain:
            continue
        message = "objectives can't be their own ancestors: " + " → ".join(
            repr(title) for title in [*chain, objective.title]
        )
        problems.append(Problem(file, objective.parent_line, "parent", message))
    return problems


@dataclass(slots=True)
class ChangeCounts:
    """What an OKR import did (or, in a dry run, would do) to objectives or key results."""

    created: int = 0
    updated: int = 0
    renamed: int = 0
    archived: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.renamed} renamed, "
            f"{self.archived} archived, {self.unchanged} unchanged"
        )


@dataclass(slots=True)
class OkrDiff:
    """The counts and one line per change (what was created, then renamed or updated, then
    archived, each in file order), for the import's summary."""

    objectives: ChangeCounts = field(default_factory=ChangeCounts)
    key_results: ChangeCounts = field(default_factory=ChangeCounts)
    changes: list[str] = field(default_factory=list)
    not_in_file: list[str] = field(default_factory=list)

    def summary(self, heading: str) -> str:
        lines = [f"{heading} objectives {self.objectives}; key results {self.key_results}"]
        lines += [f"  {change}" for change in self.changes]
        if self.not_in_file:
            lines.append(
                f"{len(self.not_in_file)} not in the file, kept as they are "
                "(--prune archives them):"
            )
            lines += [f"  {what}" for what in self.not_in_file]
        return "\n".join(lines)
