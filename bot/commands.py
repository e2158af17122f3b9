"""The bot's commands, who may use them, and their descriptions (shown in /aide and the menu)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.db.models.people import Role
from bot.i18n import N_

EVERYONE = frozenset({None, Role.CANDIDATE, Role.EMPLOYER, Role.STAFF})
PARTICIPANTS = frozenset({Role.CANDIDATE, Role.EMPLOYER})
CANDIDATES = frozenset({Role.CANDIDATE})
STAFF_ONLY = frozenset({Role.STAFF})


@dataclass(frozen=True)
class Command:
    name: str
    description: str
    roles: frozenset[str | None]


COMMANDS: tuple[Command, ...] = (
    Command("start", N_("Start or change your role"), EVERYONE),
    Command("aide", N_("What I can do for you"), EVERYONE),
    Command("profil", N_("See and change your portrait card"), PARTICIPANTS),
    Command("situation", N_("Tell us where you stand after an event"), CANDIDATES),
    Command("evenements", N_("Events: list, create, edit"), STAFF_ONLY),
    Command("evenement", N_("Create an event"), STAFF_ONLY),
    Command("inscrits", N_("Who signed up for an event"), STAFF_ONLY),
    Command("inscrire", N_("Register someone on their behalf"), STAFF_ONLY),
    Command("plan", N_("Build the rooms of an event"), STAFF_ONLY),
    Command("presences", N_("Who confirmed, who withdrew, who is present"), STAFF_ONLY),
    Command("avis", N_("Review employers' opinions"), STAFF_ONLY),
    Command("suivi", N_("Record where a candidate stands after an event"), STAFF_ONLY),
    Command("broadcast", N_("Send a message to a group of people"), STAFF_ONLY),
    Command("bilan", N_("Report of an event or a programme: figures, chart, Excel"), STAFF_ONLY),
    Command("equipe", N_("The organising team: add or remove someone"), STAFF_ONLY),
    Command("mesdonnees", N_("Get a copy of your data"), EVERYONE),
    Command("supprimer", N_("Erase your data"), EVERYONE),
    Command("confidentialite", N_("How your data is used"), EVERYONE),
    Command("annuler", N_("Stop what you are doing"), EVERYONE),
)


def commands_for(role: str | None) -> list[Command]:
    return [command for command in COMMANDS if role in command.roles]
