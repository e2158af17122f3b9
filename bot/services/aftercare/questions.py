"""The first question of each questionnaire, its answer codes and buttons, as plain data.

The scheduler (`schedule`) sends it through the outbox when a questionnaire is created and
again, prefixed "Petit rappel :", as a reminder; the handlers of the presses (helpers
`meeting` for `sv:`, `outcomes` for `fu:`) read the same codes back from the buttons. The
codes travel in callback data already sent: keep them as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from babel.lists import format_list

from bot.callbacks import FollowUpAnswer, SurveyAnswer
from bot.db.models.aftercare import QuestionnaireKind
from bot.i18n import N_, Translator
from bot.outbox.compose import Buttons

DECLINE = "decline"


class MeetingCode(StrEnum):
    """Buttons of "did it happen?" (kinds `cand` and `emp`); the first three are the values
    of `bot.db.models.aftercare.MeetingAnswer`."""

    YES = "yes"
    ABSENT = "absent"  # the other person (employers, or the candidate) did not come
    SELF = "self"  # "Je n'ai pas pu venir"
    DECLINE = DECLINE


class FollowUpCode(StrEnum):
    """Buttons of "Où en êtes-vous ?" (kind `follow`); the first five are `Situation` values."""

    JOB = "job"
    TRAINING = "training"
    INTERNSHIP = "internship"
    SEARCHING = "searching"
    OTHER = "other"
    DECLINE = DECLINE


MEETING_LABELS: dict[MeetingCode, str] = {
    MeetingCode.YES: N_("Yes"),
    MeetingCode.ABSENT: N_("No, the person did not come"),
    MeetingCode.SELF: N_("I could not come"),
    MeetingCode.DECLINE: N_("I prefer not to answer"),
}

FOLLOW_UP_LABELS: dict[FollowUpCode, str] = {
    FollowUpCode.JOB: N_("I have a job"),
    FollowUpCode.TRAINING: N_("I am in training"),
    FollowUpCode.INTERNSHIP: N_("I am in an internship"),
    FollowUpCode.SEARCHING: N_("I am still looking"),
    FollowUpCode.OTHER: N_("Other"),
    FollowUpCode.DECLINE: N_("I prefer not to answer"),
}

REMINDER_LINE = N_("A short reminder:")


@dataclass(frozen=True)
class Question:
    """What the first question of one questionnaire needs (names as the person may see them).

    `employers`: for `cand`, "Marc (Boulangerie du Lac)" for each employer of the room;
    `about`: for `emp`, the candidate's first name; `first_name`, `event_name`, `days`: for
    `follow`.
    """

    questionnaire_id: int
    kind: str
    event_name: str
    first_name: str = ""
    employers: tuple[str, ...] = ()
    about: str = ""
    days: int = 0


def employer_label(first_name: str, company: str | None) -> str:
    """ "Marc (Boulangerie du Lac)", or the first name alone."""
    return f"{first_name} ({company})" if company else first_name


def question_text(_: Translator, question: Question) -> str:
    if question.kind == QuestionnaireKind.EMPLOYER_CARD:
        return _("Did you meet {name}?", name=question.about)
    if question.kind == QuestionnaireKind.FOLLOW_UP:
        return _.n(
            "Hello {name}. {count} day ago, you were at “{event}”. Where do you stand today?",
            "Hello {name}. {count} days ago, you were at “{event}”. Where do you stand today?",
            question.days,
            name=question.first_name,
            event=question.event_name,
        )
    if question.employers:
        names = format_list(list(question.employers), locale=_.language)
        return _("Did your meeting with {names} take place?", names=names)
    return _("Did your meeting at “{event}” take place?", event=question.event_name)


def question_buttons(_: Translator, question: Question) -> Buttons:
    """One button a row: the labels are long, and a row each is easier to tap."""
    if question.kind == QuestionnaireKind.FOLLOW_UP:
        return [
            [(_.plain(label), FollowUpAnswer(question.questionnaire_id, code).pack())]
            for code, label in FOLLOW_UP_LABELS.items()
        ]
    return [
        [(_.plain(label), SurveyAnswer(question.questionnaire_id, code).pack())]
        for code, label in MEETING_LABELS.items()
    ]


def first_question(_: Translator, question: Question, reminder: int = 0) -> tuple[str, Buttons]:
    """Text and buttons of the outbox row: the question, or (`reminder` ≥ 1) the same with
    "Petit rappel :" first."""
    text = question_text(_, question)
    if reminder:
        text = f"{_(REMINDER_LINE)}\n{text}"
    return text, question_buttons(_, question)
