"""``playbook init``: the default playbook as commented TOML, to edit and load."""

from __future__ import annotations

import argparse
import sys

from leadpipeline.errors import LeadPipelineError
from leadpipeline.playbook import DEFAULT_PLAYBOOK
from leadpipeline.serialization import to_toml

__all__ = ["init_command", "playbook_template"]

_PLAYBOOK_COMMENTS = {
    "name": "A name for this playbook, shown in reports.",
    "default_sales_cycle_months": "Sales-cycle length used when a lead gives none; sets the"
    " handover window (6 months: sales joins 6 to 8 months before the decision).",
    "enforce_handover_window": "Refuse handovers that are too early for the purchase decision.",
    "rejection_reasons": "The reasons sales may give when giving a lead back to marketing.",
    "no_response_reason": "The rejection reason recorded when the SLA desk returns a"
    " handover sales never answered.",
    "on_sal_miss": "When sales accepts a lead below the SAL definition: refuse or warn.",
    "partners": "The partner roster: regions, product lines, grade, capacity per period.",
    "when_offers_lapse": "Where a lead goes when every offer expired: next_partner or"
    " back_to_sales.",
    "reclaim_routing": "Where a lead reclaimed from an inactive partner goes.",
    "hide_scoring_from_partners": "Remove scores and criteria from what partners see.",
    "merge_duplicates": "Fold a capture that matches an open lead into that lead.",
    "sla_policies": "Promised response times and their escalation ladders.",
    "sla_policies.allowed": "How long the response may take: 30m, 8h, 3d or ISO 8601 (PT8H).",
    "sla_policies.basis": "business: counted in working hours of the calendar below (8h is one"
    " working day of 09:00-17:00, 24h three); wall_clock: every hour of the day counts.",
    "lifecycle": "Stages, who may own each, and the allowed moves.",
    "scoring": "The scoring model: fit, engagement and negative rules, groups, caps, grades.",
    "mql": "What makes a marketing qualified lead.",
    "sal": "What makes a sales accepted lead.",
    "sql": "What makes a sales qualified lead.",
    "heat": "When a lead counts as hot (and a form submit wants a call within minutes).",
    "channel_policy": "Direct sales or partner channel, by revenue from one trusted source.",
    "partner_policy": "Grade weights, how many partners get an offer, and offer expiry.",
    "return_policy": "Partner return reasons and where each sends the lead.",
    "calendar": "Working hours, holidays and time zone for business-time SLAs; country and"
    " subdivision (e.g. DE and BY) take each year's public holidays by rule.",
    "calendars": 'Named calendars, e.g. [calendars.vienna] country = "AT": partners name'
    ' theirs (calendar = "vienna"), teams in team_calendars.',
    "team_calendars": 'Calendar names by party, e.g. "sales/new-york" = "new-york".',
}


def playbook_template() -> str:
    """The default playbook as commented TOML: what ``playbook init`` writes.

    Example:
        >>> from leadpipeline.playbook import Playbook
        >>> from leadpipeline.serialization import from_toml
        >>> from_toml(playbook_template(), Playbook) == DEFAULT_PLAYBOOK
        True
    """
    return (
        "# leadpipeline playbook: every policy in one file. Edit, then load it with\n"
        "# leadpipeline.load_file(path, leadpipeline.Playbook) or --playbook PATH.\n"
        '# Durations are written "30m", "8h", "3d", "1h30m" or ISO 8601 ("PT8H");\n'
        "# a plain number is seconds. Datetimes need a UTC offset.\n\n"
        + to_toml(DEFAULT_PLAYBOOK, comments=_PLAYBOOK_COMMENTS)
    )


def init_command(args: argparse.Namespace) -> None:
    """``leadpipeline playbook init``: write the template to a new file or standard output."""
    text = playbook_template()
    if args.output is None:
        sys.stdout.write(text)
        return
    if args.output.exists() and not args.force:
        raise LeadPipelineError(f"{args.output}: already exists (use --force to replace it)")
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise LeadPipelineError(f"{args.output}: cannot write: {exc.strerror or exc}") from None
    print(f"wrote {args.output}")
