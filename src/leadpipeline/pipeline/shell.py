"""The imperative shell: load, ask the core once, record what it returns.

Every command follows one path: load the lead and its history (from the cache when this
pipeline wrote it last), gather what the core says the decision needs (`inputs`), call
`transition` once, and hand the resulting value to the store, which records events,
snapshot and notifications in one atomic write. A stale version raises `ConflictError`;
the one retry loop here decides again on a fresh load, so no update is ever lost.
Delivery is left to the outbox relay.

Logging (logger ``leadpipeline.pipeline.shell``, silent unless the host configures it):
a conflict that is decided again is logged at INFO, one that exhausts the retries at
WARNING, each with the extras ``lead_id``, ``expected``, ``actual``, ``attempt`` and
``retries``; a recorded erasure whose scrub is still due, and a lead a sweep could not
act on, at WARNING.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import datetime

from leadpipeline.adapters.clock import Clock, SystemClock
from leadpipeline.adapters.memory import MemoryStore
from leadpipeline.adapters.notification import Notifier, RecordingNotifier
from leadpipeline.adapters.ports import LeadStore
from leadpipeline.adapters.relay import RelayReport, relay_outbox
from leadpipeline.errors import (
    ConflictError,
    LeadIdTakenError,
    LeadPipelineError,
    SourceConflictError,
    StoreError,
    ValidationError,
)
from leadpipeline.events import Event
from leadpipeline.lead import Lead, Party
from leadpipeline.pipeline._imports import plan_import
from leadpipeline.pipeline._retry import retrying
from leadpipeline.pipeline._sweeps import act_on_each
from leadpipeline.pipeline.cache import LeadCache
from leadpipeline.pipeline.commands import CommandMethods
from leadpipeline.pipeline.partner_view import PartnerView
from leadpipeline.pipeline.results import CaptureResult, ImportReport
from leadpipeline.pipeline.sweep import StaleSweep, sweep_stale
from leadpipeline.playbook import DEFAULT_PLAYBOOK, Playbook
from leadpipeline.stages import (
    Capture,
    CaptureOutcome,
    Command,
    Erase,
    Escalate,
    LeadStatus,
    Merge,
    Transition,
    admit,
    due_commands,
    inputs,
    lead_status,
    transition,
)

__all__ = ["Pipeline"]

logger = logging.getLogger(__name__)

Check = Callable[[Lead], None]
"""Raises when the caller may not act on the lead as loaded (a partner's visibility)."""


class Pipeline(CommandMethods):
    """One method per command; each call is one atomic, versioned write.

    Every command of `leadpipeline.stages` has its method (see `CommandMethods`);
    `execute(lead_id, command)` runs any command value, and `run` returns the whole
    recorded `Transition`.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline import Lead, Source
        >>> from leadpipeline.adapters import MemoryStore, SimulatedClock
        >>> clock = SimulatedClock(datetime(2026, 3, 4, 9, 0, tzinfo=timezone.utc))
        >>> pipeline = Pipeline(store=MemoryStore(), clock=clock)
        >>> lead = Lead(id="L-1", source=Source(channel="web", captured_at=clock.now()))
        >>> pipeline.capture(lead).outcome.value
        'captured'
        >>> pipeline.nurture("L-1", reason="no project this year").stage
        'nurture'
    """

    def __init__(
        self,
        playbook: Playbook = DEFAULT_PLAYBOOK,
        store: LeadStore | None = None,
        notifier: Notifier | None = None,
        clock: Clock | None = None,
        *,
        conflict_retries: int = 3,
        cache_size: int = 4096,
    ) -> None:
        self.playbook = playbook
        self.store: LeadStore = store if store is not None else MemoryStore()
        self.notifier: Notifier = notifier if notifier is not None else RecordingNotifier()
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.conflict_retries = conflict_retries
        self._cache = LeadCache(cache_size)
        # Serialises this process's check-then-write of captures (see `capture`).
        self._capture_lock = threading.Lock()

    # -- reading ---------------------------------------------------------------------------

    def get(self, lead_id: str) -> Lead:
        """The current snapshot of a lead."""
        return self.store.load(lead_id)

    def history(self, lead_id: str) -> tuple[Event, ...]:
        """The full history of a lead, oldest first."""
        return self.store.history(lead_id)

    def status(self, lead_id: str, *, now: datetime | None = None) -> LeadStatus:
        """Where a lead stands as of `now` (default: the clock): `explain()` says it in words."""
        lead, history = self.get(lead_id), self.history(lead_id)
        return lead_status(lead, history, self.playbook, now=now or self.clock.now())

    def for_partner(self, partner_id: str) -> PartnerView:
        """A view that sees and acts only on leads this partner holds or is offered."""
        return PartnerView(self, partner_id)

    # -- the write path --------------------------------------------------------------------

    def _history_of(self, lead: Lead) -> tuple[Event, ...]:
        """The history `lead` was folded from: cached per version, else read from the store."""
        cached = self._cache.history(lead)
        if cached is not None:
            return cached
        # another writer may have appended after `load`: keep the events `lead` was made of
        history = self.store.history(lead.id)[: lead.version]
        self._cache.put(lead, history)
        return history

    def _decide(
        self,
        lead: Lead,
        history: tuple[Event, ...],
        command: Command,
        check: Check | None,
        now: datetime | None = None,
    ) -> Transition:
        """Gather what the core needs for `command`, then ask it once (at `now` if given)."""
        if check is not None:
            check(lead)
        needs = inputs(command)
        playbook = self.playbook
        if needs.partner_loads:
            playbook = playbook.with_loads(
                {p.id: self.store.count(partner_id=p.id) for p in playbook.partners}
            )
        outbox = self.store.outbox(lead.id) if needs.outbox else ()
        return transition(
            lead,
            command,
            playbook,
            now=self.clock.now() if now is None else now,
            history=history,
            outbox=outbox,
            sla_fold=self._cache.sla_fold(lead),
        )

    def _record(self, done: Transition, history: tuple[Event, ...]) -> None:
        """Hand a decided transition to the store; keep the lead it leaves in the cache."""
        try:
            self.store.record(done)
        except ConflictError:
            self._cache.drop(done.lead_id)
            raise
        if done.erases:
            self._cache.erased(done.after)  # no copy of erased values stays in memory
        else:
            self._cache.put(done.after, (*history, *done.events), done.sla_fold)

    def _attempt(
        self,
        lead_id: str,
        command: Command,
        check: Check | None,
        fresh: bool,
        now: datetime | None = None,
    ) -> Transition:
        """Decide and record once, on the cached lead if this pipeline wrote it last.

        A cached lead may be stale: a refusal or a no-op decided on it is decided again
        on a fresh load before it is believed; a write on it that conflicts is retried.
        """
        cached = None if fresh else self._cache.get(lead_id)
        if cached is not None:
            try:
                done = self._decide(*cached, command, check, now)
            except LeadPipelineError:
                done = None
            if done is not None and done.changed:
                self._record(done, cached[1])
                return done
            self._cache.drop(lead_id)
        lead = self.store.load(lead_id)
        history = self._history_of(lead)
        done = self._decide(lead, history, command, check, now)
        if done.changed:
            self._record(done, history)
        return done

    def run(
        self,
        lead_id: str,
        command: Command,
        *,
        check: Check | None = None,
        now: datetime | None = None,
    ) -> Transition:
        """Decide `command` on the lead and record it; the transition that was recorded.

        `check` sees the lead as loaded on every attempt and raises to refuse it (a
        partner's view uses it for visibility). `now` decides at that instant instead of
        the clock's (a sweep as of a given time). A transition with no events was a
        no-op: nothing was written.

        Raises:
            NotFoundError: no such lead.
            TransitionError: the command is not allowed (nothing is written).
            ConflictError: another writer kept winning the race (nothing is written).
        """
        return retrying(
            lambda fresh: self._attempt(lead_id, command, check, fresh, now),
            retries=self.conflict_retries,
        )

    def execute(self, lead_id: str, command: Command) -> Lead:
        """Decide and record any command value; the lead after it.

        The named methods (`nurture`, `merge`, ...) build the command and call this.

        Raises:
            NotFoundError: no such lead.
            TransitionError: the command is not allowed (nothing is written).
            ConflictError: another writer kept winning the race (nothing is written).
        """
        return self.run(lead_id, command).after

    # -- capture ---------------------------------------------------------------------------

    def capture(self, lead: Lead, *, actor: Party | None = None) -> CaptureResult:
        """Bring a lead in; captures are idempotent, and duplicates merge.

        The same source record twice yields one lead, and so does the same lead under the
        same id (a retried request): both come back `already_captured`, with nothing
        written. The check for a known source id or a duplicate and the write are one
        step for every thread of this process; a capture from another process that wins
        the race shows up as a `ConflictError` on the new lead's first write, after which
        the checks run again.

        Raises:
            LeadIdTakenError: the lead id was captured with a different lead (the error
                names the differing fields; nothing is written).
        """
        with self._capture_lock:
            return retrying(
                lambda _fresh: self._capture_once(lead, actor),
                retries=self.conflict_retries,
                sources_may_move=True,
            )

    def _capture_once(self, lead: Lead, actor: Party | None) -> CaptureResult:
        """Gather what the core needs to admit `lead`, ask it, and carry out its answer."""
        source_id = lead.source.source_id
        known = self.store.find_by_source_id(source_id) if source_id is not None else None
        twin = None
        if known is None and self.playbook.merge_duplicates:  # only a merge needs the twin
            twin = self.store.find_duplicate(
                email=lead.contact.email,
                domain=lead.company.domain,
                company_name=lead.company.name,
                closed_stages=self.playbook.lifecycle.closed_stages,
            )
        admitted = admit(lead, self.playbook, known=known, twin=twin, actor=actor)
        match admitted.command:
            case None:
                known_lead = self.store.load(admitted.lead_id)
                return CaptureResult(lead=known_lead, outcome=admitted.outcome)
            case Merge() as merge:
                merged = self.run(admitted.lead_id, merge)
                # a concurrent capture may have merged the same record first
                outcome = admitted.outcome if merged.changed else CaptureOutcome.ALREADY_CAPTURED
                return CaptureResult(lead=merged.after, outcome=outcome)
            case capture:
                done = transition(None, capture, self.playbook, now=self.clock.now())
                try:
                    self._record(done, ())
                except SourceConflictError:
                    raise  # another lead holds the record: admitted again, it is known
                except ConflictError as exc:
                    if exc.lead_id != lead.id or exc.expected != 0:  # pragma: no cover
                        raise  # a store bug
                    # the id is taken: the core says whether it holds this very capture
                    again = self.run(lead.id, capture)
                    return CaptureResult(lead=again.after, outcome=CaptureOutcome.ALREADY_CAPTURED)
                return CaptureResult(lead=done.after, outcome=admitted.outcome)

    def capture_many(self, leads: Iterable[Lead], *, atomic: bool = True) -> ImportReport:
        """Import a batch in one write: all or nothing, or refusing bad records one by one.

        With `atomic=True` any bad record raises `ValidationError` naming every refused
        record (`[index]`) and nothing is written. With `atomic=False` the good records are
        written and the report lists each refused one with its reason. Records whose source
        id is already known, or whose lead is recorded under its id already, are skipped
        as already captured; another lead under a taken id is refused. Duplicates by email
        or company are not merged here: capture them one by one to merge them.
        """
        batch = list(leads)
        taken: dict[int, str] = {}
        repeated: set[int] = set()

        def attempt(_fresh: bool) -> ImportReport:
            report, planned, index_of = plan_import(
                batch,
                self.playbook,
                now=self.clock.now(),
                known_sources=set(
                    self.store.find_by_source_ids(
                        lead.source.source_id for lead in batch if lead.source.source_id is not None
                    )
                ),
                taken=taken,
                repeated=repeated,
            )
            if report.refused and atomic:
                raise ValidationError((f"[{r.index}]", r.reason) for r in report.refused)
            try:
                if planned:
                    self.store.record_many(planned)
            except ConflictError as exc:
                # the lead id exists already (or was just taken by another process): the
                # same capture again is already captured, another lead under it is refused
                if exc.lead_id in index_of and not isinstance(exc, SourceConflictError):
                    index = index_of[exc.lead_id]
                    try:
                        self.run(exc.lead_id, Capture(lead=batch[index]))
                    except LeadIdTakenError as taken_by:
                        taken[index] = taken_by.reason
                    else:
                        repeated.add(index)
                raise
            self._cache.put_many((t.after, t.events) for t in planned)
            return report

        with self._capture_lock:
            return retrying(attempt, retries=self.conflict_retries, sources_may_move=True)

    # -- commands with more to do than execute ----------------------------------------------

    def erase(self, lead_id: str) -> Lead:
        """Erase personal data from snapshot, history and pending notifications.

        Stages, owners and timings stay, so funnel figures survive. Retried on a
        concurrent write like every command. Once the erasure is recorded, the store
        scrubs its files (`LeadStore.scrub`); if the database is busy the scrub stays due
        and is logged, and erasing the lead again (which changes nothing else) finishes it.

        Raises:
            StoreError: only when erasing an erased lead again and the scrub still cannot
                finish.
        """
        done = self.run(lead_id, Erase())
        if done.changed:
            try:
                self.store.scrub()
            except StoreError as exc:  # recorded: never raise after the erasure committed
                logger.warning("erasure of %s recorded, scrub due: %s", lead_id, exc)
        else:
            self.store.scrub()
        return done.after

    def escalate(self, lead_id: str) -> Lead:
        """Record breaches of this lead's SLAs and escalate each due step once."""
        return self.execute(lead_id, Escalate())

    def escalate_breaches(self) -> tuple[str, ...]:
        """Act on every lead whose next deadline has passed; returns the lead ids touched.

        For each lead the core says what is due (`stages.due_commands`: lapsed offers,
        then breaches). A lead that cannot be read or acted on now is logged and left
        for the next pass; the others go on.
        """
        now = self.clock.now()
        acted = act_on_each(
            self.run, self.store.query(due_before=now), lambda lead: due_commands(lead, now=now)
        )
        return tuple(turn.lead.id for turn in acted if turn.changed)

    def sweep_stale(self, *, now: datetime | None = None) -> StaleSweep:
        """Recycle or drop every stale lead marketing holds; a summary of what was done.

        The playbook's `stale` policy decides, per lead, in the core: a low score that
        has not progressed for the period goes to nurture (or is dropped), with a
        `Nurtured` or `Disqualified` event saying why. `now` defaults to the clock.
        """
        return sweep_stale(self, now=self.clock.now() if now is None else now)

    def relay_outbox(self, *, limit: int = 100) -> RelayReport:
        """Deliver pending notifications at least once, retrying failures with backoff."""
        return relay_outbox(self.store, self.notifier, now=self.clock.now(), limit=limit)
