"""The employer's sign-up, question by question, in the order they are asked."""

from __future__ import annotations

from bot.context import services
from bot.engine.steps import At, Buttons, Choices, Flow, Option, Step, Text
from bot.handlers.signup.draft import LONG_LIMIT, SHORT_LIMIT, SignUpDraft
from bot.handlers.signup.shared import (
    NAME_STEP,
    SECTORS_STEP,
    WISHES_STEP,
    confirm,
    full_name,
    sector_names,
    summary_text,
)
from bot.i18n import N_
from bot.services.signup import event_view

Here = At[SignUpDraft]
REMOTE = "rem"
MAX_CAPACITY = 8


def _company_prompt(at: Here) -> str:
    _ = at.tr
    return (
        _("What is the name of your company or organisation?")
        + "\n"
        + _("For example: Boulangerie Martin, Mairie de Lille.")
    )


def _title_prompt(at: Here) -> str:
    _ = at.tr
    return (
        _("What is your job title?") + "\n" + _("For example: HR manager, head chef, shop manager.")
    )


def _jobs_prompt(at: Here) -> str:
    _ = at.tr
    return (
        _("Which jobs do you recruit for, or know well?")
        + "\n"
        + _("For example: cook, kitchen assistant, waiter.")
    )


async def _sites(at: Here) -> list[Option]:
    """The event's sites, and the video link as "Remote" (kept apart, in `remote`)."""
    if at.draft.event_id is None:
        return []
    view = await event_view(services(at.context).database, at.draft.event_id)
    places = view.places if view else ()
    sites = [Option(str(site.id), site.name[:40], echo=site.name) for site in places]
    return [*sites, Option(REMOTE, at.tr.plain("Remote (video)"))]


def _sites_chosen(draft: SignUpDraft) -> list[str]:
    chosen = [str(site_id) for site_id in draft.answers.accepted_site_ids]
    return [*chosen, REMOTE] if draft.answers.remote else chosen


def _choose_sites(draft: SignUpDraft, chosen: list[str]) -> None:
    draft.answers.accepted_site_ids = [int(item) for item in chosen if item != REMOTE]
    draft.answers.remote = REMOTE in chosen


def _capacities(at: Here) -> list[Option]:
    return [Option(str(n), str(n)) for n in range(1, MAX_CAPACITY + 1)]


def summary(at: Here) -> list[str]:
    _ = at.tr
    answers = at.draft.answers
    none = _.plain("—")
    places = answers.accepted_site_ids
    where = _.n("{count} site", "{count} sites", len(places)) if places else none
    if answers.remote:
        where += " + " + _("remote")
    return summary_text(
        at,
        [
            _("Name: {value}", value=full_name(at.draft)),
            _("Company: {value}", value=answers.company or none),
            _("Job title: {value}", value=answers.job_title or none),
            _("Sectors: {value}", value=sector_names(at)),
            _("Jobs: {value}", value=answers.jobs or none),
            _("Where: {value}", value=where),
            _("Candidates you can meet: {value}", value=answers.max_candidates or none),
        ],
    )


FLOW = Flow[SignUpDraft](
    "employer",
    steps=(
        NAME_STEP,
        Step(
            "comp",
            _company_prompt,
            Text(SHORT_LIMIT),
            field="answers.company",
            label=N_("Company"),
        ),
        Step(
            "title",
            _title_prompt,
            Text(SHORT_LIMIT),
            field="answers.job_title",
            label=N_("Job title"),
        ),
        SECTORS_STEP,
        Step(
            "jobs",
            _jobs_prompt,
            Text(LONG_LIMIT),
            field="answers.jobs",
            label=N_("Jobs"),
        ),
        Step(
            "sites",
            N_("Where can you come? Choose one or more, then press “Done”."),
            Choices(
                _sites,
                at_least_one=N_("Choose at least one site."),
                chosen=_sites_chosen,
                choose=_choose_sites,
            ),
            label=N_("Sites"),
        ),
        Step(
            "cap",
            N_("How many candidates can you meet?"),
            Buttons(_capacities, per_row=4),
            field="answers.max_candidates",
            label=N_("Candidates"),
        ),
        WISHES_STEP,
    ),
    summary=summary,
    confirm=confirm,
)
