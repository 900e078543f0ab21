"""The lifecycle as data: stages, who may own each, and the allowed moves.

The standard demand waterfall ships as `STANDARD_LIFECYCLE`; a host renames stages or
adds its own by building another `Lifecycle`. Decisions find stages by their `Stage`
role, so renamed stages keep working.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable

import attrs

from leadpipeline._typed import typed
from leadpipeline.errors import ConfigurationError, TransitionError
from leadpipeline.lead import PartyKind

__all__ = ["STANDARD_LIFECYCLE", "WATERFALL_ROLES", "Lifecycle", "Stage", "StageSpec"]


class Stage(enum.StrEnum):
    """The roles of the standard waterfall; decisions look stages up by role."""

    INQUIRY = "inquiry"
    MQL = "mql"
    SAL = "sal"
    SQL = "sql"
    OPPORTUNITY = "opportunity"
    CUSTOMER = "customer"
    NURTURE = "nurture"
    DISQUALIFIED = "disqualified"


WATERFALL_ROLES: tuple[Stage, ...] = (
    Stage.INQUIRY,
    Stage.MQL,
    Stage.SAL,
    Stage.SQL,
    Stage.OPPORTUNITY,
    Stage.CUSTOMER,
)
"""The roles of the demand waterfall, from first touch to customer."""


def _kinds(value: Iterable[PartyKind | str]) -> frozenset[PartyKind]:
    # one name is a mistake, not a set of single letters; None or a number is no list at all
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        raise ConfigurationError.at("owners", f"expected a list of party kinds, got {value!r}")
    kinds: list[PartyKind] = []
    problems: list[tuple[str, str]] = []
    for i, item in enumerate(value):
        try:
            kinds.append(PartyKind(item))
        except ValueError:
            known = ", ".join(k.value for k in PartyKind)
            problems.append((f"owners[{i}]", f"unknown party kind {item!r} (one of {known})"))
    if problems:
        raise ConfigurationError(problems)
    return frozenset(kinds)


@attrs.frozen(kw_only=True, field_transformer=typed)
class StageSpec:
    """One stage: its name, the standard role it plays (if any), and who may own it."""

    name: str
    owners: frozenset[PartyKind] = attrs.field(converter=_kinds)
    role: Stage | None = None
    description: str = ""


@attrs.frozen(kw_only=True, field_transformer=typed)
class Lifecycle:
    """The stages and the allowed moves between them, checked when built.

    Example:
        >>> STANDARD_LIFECYCLE.allowed_from("sal")
        ('disqualified', 'nurture', 'sql')
        >>> STANDARD_LIFECYCLE.name_of(Stage.SQL)
        'sql'
    """

    stages: tuple[StageSpec, ...]
    moves: frozenset[tuple[str, str]]
    initial: str

    def __attrs_post_init__(self) -> None:
        problems: list[tuple[str, str]] = []
        names = [s.name for s in self.stages]
        by_name = set(names)
        for i, spec in enumerate(self.stages):
            if not spec.name.strip():
                problems.append((f"stages[{i}].name", "must not be blank"))
            if names.count(spec.name) > 1:
                problems.append((f"stages[{i}].name", f"stage {spec.name!r} is defined twice"))
            if not spec.owners:
                problems.append((f"stages[{i}].owners", f"stage {spec.name!r} has no owner"))
        roles = [s.role for s in self.stages if s.role is not None]
        for role in sorted(set(roles)):
            if roles.count(role) > 1:
                problems.append(("stages", f"role {role.value!r} is played by two stages"))
        if self.initial not in by_name:
            problems.append(("initial", f"unknown stage {self.initial!r}"))
        for src, dst in sorted(self.moves):
            for end in (src, dst):
                if end not in by_name:
                    problems.append(("moves", f"move {src} -> {dst} names unknown stage {end!r}"))
        if not problems:
            reached = self._reachable()
            for name in names:
                if name not in reached:
                    problems.append(
                        ("stages", f"stage {name!r} cannot be reached from {self.initial!r}")
                    )
        if problems:
            raise ConfigurationError(problems)

    def _reachable(self) -> set[str]:
        seen = {self.initial}
        frontier = [self.initial]
        while frontier:
            here = frontier.pop()
            for src, dst in self.moves:
                if src == here and dst not in seen:
                    seen.add(dst)
                    frontier.append(dst)
        return seen

    # Every decision asks these several times; the stages never change, so each lifecycle
    # looks them up once (attrs keeps a cached property in a slot, out of eq and repr).
    @functools.cached_property
    def _specs(self) -> dict[str, StageSpec]:
        return {s.name: s for s in self.stages}

    @functools.cached_property
    def _by_role(self) -> dict[Stage, str]:
        return {s.role: s.name for s in self.stages if s.role is not None}

    def spec(self, name: str) -> StageSpec:
        """The stage called `name`."""
        found = self._specs.get(name)
        if found is None:
            raise ConfigurationError.at("stage", f"unknown stage {name!r}")
        return found

    def name_of(self, role: Stage) -> str:
        """The name this lifecycle gives the standard `role`."""
        found = self._by_role.get(role)
        if found is None:
            raise ConfigurationError.at("stages", f"no stage plays the role {role.value!r}")
        return found

    def role_of(self, name: str) -> Stage | None:
        """The standard role of stage `name`, or None for a custom stage."""
        return self.spec(name).role

    def names_of(self, *roles: Stage) -> tuple[str, ...]:
        """The names of the stages playing `roles`, in the order given; absent roles skipped.

        Example:
            >>> STANDARD_LIFECYCLE.names_of(Stage.CUSTOMER, Stage.DISQUALIFIED)
            ('customer', 'disqualified')
        """
        by_role = self._by_role
        return tuple(by_role[r] for r in roles if r in by_role)

    @property
    def waterfall(self) -> tuple[str, ...]:
        """The demand waterfall's stages in order, from first touch to customer.

        The standard roles on the way (inquiry, MQL, SAL, SQL, opportunity, customer)
        that this lifecycle has, by the names it gives them; funnels count these.

        Example:
            >>> STANDARD_LIFECYCLE.waterfall
            ('inquiry', 'mql', 'sal', 'sql', 'opportunity', 'customer')
        """
        return self.names_of(*WATERFALL_ROLES)

    @functools.cached_property
    def closed_stages(self) -> frozenset[str]:
        """Stages whose leads are done (won or dropped): never matched as duplicates."""
        return frozenset(self.names_of(Stage.CUSTOMER, Stage.DISQUALIFIED))

    def has(self, name: str) -> bool:
        """Whether `name` is a stage of this lifecycle."""
        return name in self._specs

    def allowed_from(self, name: str) -> tuple[str, ...]:
        """The stages a lead in `name` may move to, sorted."""
        return tuple(sorted(dst for src, dst in self.moves if src == name))

    def can_move(self, src: str, dst: str) -> bool:
        """Whether the move `src -> dst` is allowed."""
        return (src, dst) in self.moves

    def check_move(self, *, lead_id: str, src: str, dst: str, command: str) -> None:
        """Raise `TransitionError` naming the allowed moves unless `src -> dst` is allowed."""
        if (src, dst) not in self.moves:
            raise TransitionError(
                lead_id=lead_id,
                stage=src,
                command=f"{command}: {src} -> {dst}",
                allowed=tuple(f"{src} -> {d}" for d in self.allowed_from(src)),
            )

    def to_markdown(self) -> str:
        """A Markdown table of stages, owners and moves, for docs and notebooks."""
        rows = ["| stage | role | owners | moves to |", "|---|---|---|---|"]
        for s in self.stages:
            owners = ", ".join(sorted(k.value for k in s.owners))
            moves = ", ".join(self.allowed_from(s.name)) or "(final)"
            role = s.role.value if s.role else "-"
            rows.append(f"| {s.name} | {role} | {owners} | {moves} |")
        return "\n".join(rows)

    def to_mermaid(self) -> str:
        """A mermaid state diagram of the lifecycle."""
        lines = ["stateDiagram-v2", f"    [*] --> {self.initial}"]
        for s in self.stages:
            owners = ", ".join(sorted(k.value for k in s.owners))
            lines.append(f"    {s.name}: {s.name} ({owners})")
        lines += [f"    {src} --> {dst}" for src, dst in sorted(self.moves)]
        return "\n".join(lines)


_M, _S, _P, _C = (
    PartyKind.MARKETING,
    PartyKind.SALES,
    PartyKind.PARTNER,
    PartyKind.CUSTOMER_MARKETING,
)

STANDARD_LIFECYCLE = Lifecycle(
    stages=(
        StageSpec(name="inquiry", role=Stage.INQUIRY, owners={_M}, description="first touch"),
        StageSpec(
            name="mql",
            role=Stage.MQL,
            owners={_M, _S},
            description="marketing qualified; with sales once handed over",
        ),
        StageSpec(name="sal", role=Stage.SAL, owners={_S}, description="sales accepted"),
        StageSpec(name="sql", role=Stage.SQL, owners={_S}, description="sales qualified"),
        StageSpec(
            name="opportunity",
            role=Stage.OPPORTUNITY,
            owners={_S, _P},
            description="worked by direct sales or a partner",
        ),
        StageSpec(name="customer", role=Stage.CUSTOMER, owners={_C}, description="won"),
        StageSpec(
            name="nurture",
            role=Stage.NURTURE,
            owners={_M},
            description="back with marketing for regular communication",
        ),
        StageSpec(name="disqualified", role=Stage.DISQUALIFIED, owners={_M}, description="dropped"),
    ),
    moves=frozenset(
        {
            ("inquiry", "mql"),
            ("inquiry", "nurture"),
            ("inquiry", "disqualified"),
            ("mql", "sal"),
            ("mql", "inquiry"),
            ("mql", "nurture"),
            ("mql", "disqualified"),
            ("sal", "sql"),
            ("sal", "nurture"),
            ("sal", "disqualified"),
            ("sql", "opportunity"),
            ("sql", "nurture"),
            ("sql", "disqualified"),
            ("opportunity", "sql"),
            ("opportunity", "customer"),
            ("opportunity", "nurture"),
            ("opportunity", "disqualified"),
            ("nurture", "mql"),
            ("nurture", "disqualified"),
            ("disqualified", "nurture"),
        }
    ),
    initial="inquiry",
)
