"""Multi-step questionnaires declared as data: `Step`s in order, a `Flow`, a `Form` that runs them.

A flow is a list of questions, each asked by one message and answered by a button, a typed
text or a photo. Writing each of them as PTB handlers repeats the same work — is this button
of this question, of this draft? is the text empty, too long? where does the answer go, what
comes next, back to the summary? — and every copy can get it subtly wrong. Here a question is
declared once, and `Form.states()` gives the `states={…}` map of a `Conversation`
(`bot.engine.conversation`):

    class Order(FlowDraft):                 # the typed draft, JSON in `context.user_data`
        VERSION: ClassVar[int] = 1
        dish: str | None = None
        guests: int | None = None
        note: str | None = None

    async def dishes(at: At[Order]) -> list[Option]:
        return [Option("soup", at.tr.plain("Soup")), Option("pie", at.tr.plain("Pie"))]

    ORDER = Flow(
        "order",
        steps=(
            Step("dish", N_("What would you like?"), Buttons(dishes), field="dish",
                 label=N_("Dish")),
            Step("guests", N_("How many are you?"), number(1, 12), field="guests",
                 label=N_("Guests")),
            Step("note", N_("Anything else?"), Text(limit=200), field="note",
                 label=N_("Note"), required=False),
        ),
        summary=order_lines,                # (at) -> lines: `_ = at.tr`, then `_("…")`
        confirm=place_order,                # (at) -> END once stored
    )
    FORM = Form(drafts=Drafts("order", Order), wire=Wire(OrderAnswer, OrderAnswerPair),
                flows=(ORDER,), lost=order_lost)

    user_conversation(name="order", entry_points=[CommandHandler("commander", start)],
                      states=FORM.states(), fallbacks=[...])

    async def start(update, context):       # an entry point
        return await FORM.begin(update, context, Order(), "dish")

What the form does for every step:

- asks it (its prompt, its buttons) unless `skip` says so, or it only takes buttons and has
  no option to offer; remembers it as the draft's `step` (resuming after a restart asks it
  again);
- takes the answer: a button must carry the draft's nonce and this step (else "older
  question"), and be one of the options offered now (else "not valid"); a text is cleaned,
  refused when empty or over `limit`; anything else gets "press a button" / "answer with
  text" and the question again;
- keeps it in `field` (a dotted attribute path of the draft, checked when the form is built;
  pydantic checks the value), or hands it to the input's `answer` callable, whose `Outcome`
  says what comes next: None the next step (or the summary when the answer corrected it),
  `AGAIN` this question again, `Refused(msgid)` a reason then the question again,
  `Goto(state)` another step, `END` the end (the draft is dropped);
- shows the summary after the last step: the flow's lines, "✅ confirm", and a "✏️ change"
  button per answered step that has a `label`; "confirm" first re-asks any `required` step
  left empty, then calls the flow's `confirm`.

Several flows may share one draft type and one conversation (the sign-up of candidates and of
employers): `pick` tells the flow of a draft; a step may sit in several flows, and steps
outside every flow (a consent screen, a first choice) are given in `steps`.

Texts are message ids: write `_ = at.tr` then `_("…")` (or `_.plain`) so that
`scripts/i18n.py` extracts them; prompts, labels and refusals given as data are marked `N_`.

Buttons are packed with two families of `bot.callbacks` (`<prefix>:<nonce>:<step>:<value>`
and the same with a second value), given as `Wire`; every callable may be sync or async.
"""

from __future__ import annotations

import inspect
import re
import secrets
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar, Generic, Protocol, Self, TypeAlias, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackContext, CallbackQueryHandler, MessageHandler, filters

from bot.callbacks import prefix_pattern
from bot.context import translator_for
from bot.dates import LocalDateTime, parse_french_datetime
from bot.engine.conversation import END
from bot.i18n import N_, Translator
from bot.text import normalise, split_items

Context = CallbackContext[Any, Any, Any, Any]
AnyHandler = BaseHandler[Any, Any, Any]
T = TypeVar("T")
MaybeAwaitable: TypeAlias = T | Awaitable[T]

OLDER = N_("This button belongs to an older question. Please use the latest message.")
NOT_VALID = N_("This button is not valid.")
PRESS_A_BUTTON = N_("Please press one of the buttons.")
ANSWER_WITH_TEXT = N_("Please answer with a text message.")
EMPTY = N_("Your answer is empty. Please write a few words.")
TOO_LONG = N_("This is too long: {limit} characters at most (you wrote {count}).")
TOO_MANY = N_("That makes {given}: {count} at most. Please write again, with {count} at most.")
FULL_CHOICE = N_("{count} at most. Untick one first, or press the button to go on.")
SUMMARY_EDIT = "edit"
CONFIRM = "ok"


# ---------------------------------------------------------------- the draft


class FlowDraft(BaseModel):
    """What every flow's draft carries; a flow's draft subclasses it and sets `VERSION`."""

    model_config = ConfigDict(validate_assignment=True, extra="ignore")
    VERSION: ClassVar[int] = 1

    version: int = 0
    nonce: str = Field(default_factory=lambda: secrets.token_hex(2))
    step: str | None = None
    editing: bool = False
    asked: list[str] = Field(default_factory=list)

    def model_post_init(self, context: Any, /) -> None:
        self.version = self.VERSION


D = TypeVar("D", bound=FlowDraft)


def _keep_as_is(data: dict[str, Any]) -> dict[str, Any] | None:
    return data


@dataclass(frozen=True)
class Drafts(Generic[D]):
    """Where a draft lives: `context.user_data[key]`, as JSON with its `version`.

    `upgrade` turns what an older release stored (another `version`, or none) into the
    current shape, or None when it cannot be read (the person is told and starts again).
    """

    key: str
    model: type[D]
    upgrade: Callable[[dict[str, Any]], dict[str, Any] | None] = _keep_as_is

    def load(self, context: Context) -> D | None:
        data = context.user_data.get(self.key) if context.user_data is not None else None
        if not isinstance(data, dict):
            return None
        if data.get("version") != self.model.VERSION:
            upgraded = self.upgrade(dict(data))
            if upgraded is None:
                return None
            data = upgraded
        try:
            return self.model.model_validate(data)
        except ValidationError:
            return None

    def save(self, context: Context, draft: D) -> None:
        assert context.user_data is not None
        context.user_data[self.key] = draft.model_dump(mode="json")

    def drop(self, context: Context) -> None:
        if context.user_data is not None:
            context.user_data.pop(self.key, None)


@dataclass
class At(Generic[D]):
    """The update in hand and the person's draft, given to every callable of a step."""

    update: Update
    context: Context
    draft: D
    tr: Translator

    async def reply(self, text: str, **kwargs: Any) -> None:
        """Answer in the chat the update came from (a message or a button)."""
        query = self.update.callback_query
        if query is not None and isinstance(query.message, Message):
            await query.message.reply_text(text, **kwargs)
        elif self.update.effective_message is not None:
            await self.update.effective_message.reply_text(text, **kwargs)

    async def close_choice(self, chosen: str | None = None) -> None:
        await close_choice(self.update, self.tr, chosen)


async def close_choice(update: Update, _: Translator, chosen: str | None = None) -> None:
    """Remove the buttons of the answered question and show what was chosen (escaped)."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    text = getattr(query.message, "text_html", None)
    try:
        if chosen and text:
            await query.edit_message_text(
                text + "\n\n" + _("✔ {choice}", choice=chosen), reply_markup=None
            )
        else:
            await query.edit_message_reply_markup(reply_markup=None)
    except TelegramError:  # too old to edit: the answer is kept anyway
        return


# ---------------------------------------------------------------- what an answer leads to


@dataclass(frozen=True)
class Again:
    """Ask the same question again (a new message)."""


@dataclass(frozen=True)
class Refused:
    """Say why (a msgid and its values), then ask the same question again."""

    message: str
    values: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Goto:
    """Ask step `state` (or the first one after it in the flow that has something to ask)."""

    state: str


AGAIN = Again()
# None: the next step; an int: that conversation state (`END`: the end, the draft dropped).
Outcome = Again | Refused | Goto | int | None


async def _resolve(value: MaybeAwaitable[T]) -> T:
    if inspect.isawaitable(value):
        return cast(T, await value)
    return value


# ---------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Option:
    """A button: `value` (and `detail`) in its callback data, `label` shown.

    `answer` is what is kept in the draft when it is not `value` (an index on the wire, the
    label in the draft); `echo` what the closed question shows when it is not `label`.
    """

    value: str
    label: str
    detail: str | None = None
    answer: str | None = None
    echo: str | None = None

    @property
    def kept(self) -> str:
        return self.value if self.answer is None else self.answer


Options = Callable[[At[D]], MaybeAwaitable[Sequence[Option]]]


@dataclass(frozen=True)
class Buttons(Generic[D]):
    """One button to press; `answer` replaces keeping `option.kept` in the step's field."""

    options: Options[D]
    answer: Callable[[At[D], Option], MaybeAwaitable[Outcome]] | None = None
    per_row: int = 2
    unknown: str = NOT_VALID  # msgid for a button of this step that is not offered any more


@dataclass(frozen=True)
class Choices(Generic[D]):
    """Several buttons to tick, then `done`; the field holds the list of `kept` values.

    `typed_limit` also takes typed items; `at_most` ends the step once reached;
    `at_least_one` is the alert for `done` with nothing ticked; `nothing` what the closed
    question shows then. `chosen`/`choose` replace reading/writing the field.
    """

    options: Options[D]
    done: str = N_("Done")
    done_value: str = CONFIRM
    at_least_one: str | None = None
    at_most: int | None = None
    typed_limit: int | None = None
    nothing: str | None = None
    per_row: int = 1
    redraw_text: bool = False  # the question lists the choice: edit its text too
    chosen: Callable[[D], list[str]] | None = None
    choose: Callable[[D, list[str]], None] | None = None


@dataclass(frozen=True)
class Text(Generic[D]):
    """A typed answer of at most `limit` characters (spaces collapsed).

    `parse` turns it into the kept value, or returns `Refused` (said, then the question asked
    again); `answer` replaces keeping it in the step's field.
    """

    limit: int
    parse: Callable[[At[D], str], MaybeAwaitable[object]] | None = None
    answer: Callable[[At[D], Any], MaybeAwaitable[Outcome]] | None = None


@dataclass(frozen=True)
class Photo(Generic[D]):
    """A photo; its Telegram `file_id` is kept. `wrong` is said for anything else."""

    wrong: str
    answer: Callable[[At[D], str], MaybeAwaitable[Outcome]] | None = None


Input = Buttons[D] | Choices[D] | Text[D] | Photo[D]


def number(
    low: int, high: int, *, wrong: str = N_("Please type a number, for example {example}.")
) -> Text[Any]:
    """A whole number from `low` to `high`, typed (`wrong` is said with `{example}`: `low`)."""

    def parse(at: At[Any], text: str) -> int | Refused:
        digits = text.strip()
        # ASCII digits only: "²".isdigit() is true, and int("²") raises.
        value = int(digits) if re.fullmatch(r"[0-9]{1,9}", digits) else None
        if value is None or not low <= value <= high:
            return Refused(wrong, {"example": low})
        return value

    return Text(limit=12, parse=parse)


def written_date(
    today: Callable[[At[Any]], date], *, wrong: str, example: Callable[[At[Any]], str]
) -> Text[Any]:
    """A date, and maybe a time, written in French ("12 mars 14h"), kept as `LocalDateTime`.

    `wrong` is said with `{example}` (e.g. "I cannot read this date… {example}").
    """

    def parse(at: At[Any], text: str) -> LocalDateTime | Refused:
        found = parse_french_datetime(text, today=today(at))
        return found if found is not None else Refused(wrong, {"example": example(at)})

    return Text(limit=80, parse=parse)


def yes_no(answer: Callable[[At[D], bool], MaybeAwaitable[Outcome]] | None = None) -> Buttons[D]:
    """Yes / No buttons (`1` / `0` on the wire); kept as a bool unless `answer` is given."""

    def options(at: At[D]) -> list[Option]:
        return [Option("1", at.tr.plain("Yes")), Option("0", at.tr.plain("No"))]

    async def given(at: At[D], option: Option) -> Outcome:
        return await _resolve(answer(at, option.value == "1")) if answer else None

    return Buttons(options, answer=given if answer else None)


def checked(label: str, chosen: bool) -> str:
    return f"✅ {label}" if chosen else label


# ---------------------------------------------------------------- steps and flows

Prompt = str | Callable[[At[D]], MaybeAwaitable[str]]


@dataclass(frozen=True)
class Step(Generic[D]):
    """One question (see the module docstring).

    `prompt`: a msgid, or a callable giving the (already translated) text. `field`: where the
    answer goes in the draft (`"answers.age_band"`). `label`: the msgid of its "✏️" button on
    the summary (None: not editable). `required`: "confirm" re-asks it while its field is
    empty. `skip`: nothing to ask (it may fill the field itself).
    """

    state: str
    prompt: Prompt[D]
    input: Input[D] | tuple[Input[D], ...]
    field: str | None = None
    label: str | None = None
    required: bool = True
    skip: Callable[[At[D]], MaybeAwaitable[bool]] | None = None

    @property
    def inputs(self) -> tuple[Input[D], ...]:
        return self.input if isinstance(self.input, tuple) else (self.input,)

    def _one(self, kind: type[Any] | tuple[type[Any], ...]) -> Any:
        found = [item for item in self.inputs if isinstance(item, kind)]
        return found[0] if found else None

    @property
    def buttons(self) -> Buttons[D] | Choices[D] | None:
        return cast(Buttons[D] | Choices[D] | None, self._one((Buttons, Choices)))

    @property
    def text(self) -> Text[D] | None:
        return cast(Text[D] | None, self._one(Text))

    @property
    def photo(self) -> Photo[D] | None:
        return cast(Photo[D] | None, self._one(Photo))

    @property
    def typed(self) -> bool:
        choices = self.buttons
        return self.text is not None or (
            isinstance(choices, Choices) and choices.typed_limit is not None
        )


@dataclass(frozen=True)
class Flow(Generic[D]):
    """Steps in order, the summary's lines, and what "confirm" does.

    `confirm` answers the button itself and returns `END` once done (or `Goto`, `AGAIN`).
    """

    name: str
    steps: tuple[Step[D], ...]
    summary: Callable[[At[D]], MaybeAwaitable[list[str]]]
    confirm: Callable[[At[D]], Awaitable[Outcome]]

    def index(self, state: str) -> int | None:
        for position, step in enumerate(self.steps):
            if step.state == state:
                return position
        return None


class WireData(Protocol):
    """What `Wire`'s families read: `bot.callbacks` dataclasses with these fields."""

    prefix: ClassVar[str]

    @property
    def nonce(self) -> str: ...
    @property
    def step(self) -> str: ...
    @property
    def value(self) -> str: ...
    def pack(self) -> str: ...


class WireOne(WireData, Protocol):
    def __init__(self, nonce: str, step: str, value: str) -> None: ...
    @classmethod
    def parse(cls, data: object) -> Self | None: ...


class WirePair(WireData, Protocol):
    def __init__(self, nonce: str, step: str, value: str, detail: str) -> None: ...
    @property
    def detail(self) -> str: ...
    @classmethod
    def parse(cls, data: object) -> Self | None: ...


@dataclass(frozen=True)
class Wire:
    """The two callback families of a form's buttons (one value, or two), same prefix."""

    one: type[WireOne]
    pair: type[WirePair]

    @property
    def prefix(self) -> str:
        return self.one.prefix

    def pack(self, nonce: str, state: str, value: str, detail: str | None = None) -> str:
        if detail is None:
            return self.one(nonce, state, value).pack()
        return self.pair(nonce, state, value, detail).pack()

    def read(self, data: object) -> tuple[str, str, str, str | None] | None:
        """(nonce, step, value, detail) of one of this form's buttons, or None."""
        one = self.one.parse(data)
        if one is not None:
            return one.nonce, one.step, one.value, None
        pair = self.pair.parse(data)
        if pair is not None:
            return pair.nonce, pair.step, pair.value, pair.detail
        return None


Handler = Callable[[Update, Context], Coroutine[Any, Any, object]]
AfterAnswer = Callable[[At[D], str], Awaitable[Outcome]]


def _empty(value: object) -> bool:
    return value is None or (isinstance(value, list | dict | str) and not value)


def _check_path(model: type[BaseModel], path: str) -> None:
    """Fail at start-up, not mid-conversation, when a step names a field the draft lacks."""
    current: Any = model
    for name in path.split("."):
        fields = getattr(current, "model_fields", None)
        if fields is None or name not in fields:
            raise ValueError(f"{model.__name__} has no field {path!r}")
        current = fields[name].annotation


class Form(Generic[D]):
    """Runs the flows of one draft type inside one conversation (see the module docstring).

    `lost` answers an update whose draft is gone (erased, or unreadable) and returns `END`;
    `guard` runs before every step's callback (e.g. the staff check of a staff draft): when
    it refuses (having said why), nothing changes; `after_answer` may take over once a step
    is answered (e.g. save a single change at once); `summary_state` is the summary's state.
    """

    def __init__(
        self,
        *,
        drafts: Drafts[D],
        wire: Wire,
        flows: Sequence[Flow[D]],
        lost: Handler,
        pick: Callable[[D], str] | None = None,
        steps: Sequence[Step[D]] = (),
        guard: Callable[[At[D]], Awaitable[bool]] | None = None,
        after_answer: AfterAnswer[D] | None = None,
        summary_state: str = "sum",
        confirm_label: str = N_("That's right"),
    ) -> None:
        self.drafts = drafts
        self.wire = wire
        self.flows = {flow.name: flow for flow in flows}
        self.pick = pick
        self.lost = lost
        self.guard = guard
        self.after_answer = after_answer
        self.summary_state = summary_state
        self.confirm_label = confirm_label
        self.steps: dict[str, Step[D]] = {}
        for step in [*steps, *(step for flow in flows for step in flow.steps)]:
            known = self.steps.setdefault(step.state, step)
            if known is not step:
                raise ValueError(f"two different steps named {step.state!r}")
            if step.field is not None:
                _check_path(drafts.model, step.field)

    # -- the states map

    def states(self) -> dict[object, list[AnyHandler]]:
        """Every step's handlers, and the summary's, by conversation state (PTB's shape)."""
        states: dict[object, list[AnyHandler]] = {
            name: self._handlers(step) for name, step in self.steps.items()
        }
        states[self.summary_state] = [
            CallbackQueryHandler(self._on_summary, pattern=prefix_pattern(self.wire.prefix)),
            MessageHandler(~filters.COMMAND, self._wrong(PRESS_A_BUTTON)),
        ]
        return states

    def _handlers(self, step: Step[D]) -> list[AnyHandler]:
        handlers: list[AnyHandler] = [
            CallbackQueryHandler(self._on_button(step), pattern=prefix_pattern(self.wire.prefix))
        ]
        if step.typed:
            handlers.append(MessageHandler(filters.TEXT & ~filters.COMMAND, self._on_text(step)))
        photo = step.photo
        if photo is not None:
            handlers.append(MessageHandler(filters.PHOTO, self._on_photo(step, photo)))
            handlers.append(MessageHandler(~filters.COMMAND, self._wrong(photo.wrong)))
        else:
            wrong = ANSWER_WITH_TEXT if step.typed else PRESS_A_BUTTON
            handlers.append(MessageHandler(~filters.COMMAND, self._wrong(wrong)))
        return handlers

    # -- for entry points and fallbacks

    async def begin(self, update: Update, context: Context, draft: D, state: str) -> int | str:
        """Start (or restart) with a new draft: ask `state`, keep the draft."""
        at = At(update, context, draft, translator_for(update))
        result = await self._goto(at, state)
        self.drafts.save(context, draft)
        return result

    async def reask(self, update: Update, context: Context) -> object:
        """Ask the person's current question again (after `/start` midway, say)."""
        return await self._run(update, context, self._reask_now)

    async def _reask_now(self, at: At[D]) -> None:
        await self._reask(at)

    def flow_of(self, draft: D) -> Flow[D]:
        if self.pick is None:
            return next(iter(self.flows.values()))
        return self.flows[self.pick(draft)]

    # -- running a callback with its draft

    async def _run(
        self, update: Update, context: Context, body: Callable[[At[D]], Awaitable[object]]
    ) -> object:
        draft = self.drafts.load(context)
        if draft is None:
            return await self.lost(update, context)
        at = At(update, context, draft, translator_for(update))
        if self.guard is not None and not await self.guard(at):
            return None
        result = await body(at)
        if result == END:
            self.drafts.drop(context)
        else:
            self.drafts.save(context, at.draft)
        return result

    # -- asking

    async def _options(self, at: At[D], step: Step[D]) -> Sequence[Option]:
        buttons = step.buttons
        return await _resolve(buttons.options(at)) if buttons is not None else ()

    async def _skipped(self, at: At[D], step: Step[D]) -> bool:
        if step.skip is not None and await _resolve(step.skip(at)):
            return True
        only_buttons = not step.typed and step.photo is None
        return only_buttons and not await self._options(at, step)

    async def _prompt(self, at: At[D], step: Step[D]) -> str:
        if isinstance(step.prompt, str):
            return at.tr(step.prompt)
        return await _resolve(step.prompt(at))

    def _button(self, at: At[D], state: str, option: Option, label: str) -> InlineKeyboardButton:
        data = self.wire.pack(at.draft.nonce, state, option.value, option.detail)
        return InlineKeyboardButton(label, callback_data=data)

    def _chosen(self, at: At[D], step: Step[D], choices: Choices[D]) -> list[str]:
        if choices.chosen is not None:
            return choices.chosen(at.draft)
        value = self._get(at.draft, step)
        return [str(item) for item in value] if isinstance(value, list) else []

    async def _keyboard(self, at: At[D], step: Step[D]) -> InlineKeyboardMarkup | None:
        buttons = step.buttons
        options = list(await self._options(at, step))
        if buttons is None:
            return None
        if isinstance(buttons, Choices):
            chosen = self._chosen(at, step, buttons)
            items = [
                self._button(at, step.state, option, checked(option.label, option.kept in chosen))
                for option in options
            ]
            done = Option(buttons.done_value, "➡️ " + at.tr.plain(buttons.done))
            rows = _rows(items, buttons.per_row)
            return InlineKeyboardMarkup([*rows, [self._button(at, step.state, done, done.label)]])
        if not options:
            return None
        items = [self._button(at, step.state, option, option.label) for option in options]
        return InlineKeyboardMarkup(_rows(items, buttons.per_row))

    async def _ask(self, at: At[D], step: Step[D]) -> bool:
        """Ask `step`; False when there is nothing to ask."""
        if await self._skipped(at, step):
            return False
        await at.reply(await self._prompt(at, step), reply_markup=await self._keyboard(at, step))
        at.draft.step = step.state
        if step.state not in at.draft.asked:
            at.draft.asked = [*at.draft.asked, step.state]
        return True

    async def _ask_from(self, at: At[D], flow: Flow[D], start: int) -> int | str:
        for step in flow.steps[start:]:
            if await self._ask(at, step):
                return step.state
        return await self._show_summary(at)

    async def _goto(self, at: At[D], state: str) -> int | str:
        if state == self.summary_state:
            return await self._show_summary(at)
        flow = self.flow_of(at.draft)
        position = flow.index(state)
        if position is not None:
            return await self._ask_from(at, flow, position)
        if await self._ask(at, self.steps[state]):
            return state
        return await self._ask_from(at, flow, 0)

    async def _next(self, at: At[D], done: str) -> object:
        """After a valid answer to `done`: the hook, the summary, or the next question."""
        if self.after_answer is not None:
            taken = await self.after_answer(at, done)
            if taken is not None:
                return await self._follow(at, None, taken)
        if at.draft.editing:
            return await self._show_summary(at)
        flow = self.flow_of(at.draft)
        position = flow.index(done)
        return await self._ask_from(at, flow, 0 if position is None else position + 1)

    async def _reask(self, at: At[D]) -> None:
        state = at.draft.step
        if state == self.summary_state:
            await self._show_summary(at)
        elif state in self.steps:
            await self._ask(at, self.steps[state])

    async def _follow(self, at: At[D], step: Step[D] | None, outcome: Outcome) -> object:
        if isinstance(outcome, Again):
            await self._reask(at)
            return None
        if isinstance(outcome, Refused):
            await at.reply(at.tr(outcome.message, **outcome.values))
            await self._reask(at)
            return None
        if isinstance(outcome, Goto):
            return await self._goto(at, outcome.state)
        if outcome is not None or step is None:
            return outcome
        return await self._next(at, step.state)

    # -- keeping answers

    def _get(self, draft: D, step: Step[D]) -> object:
        assert step.field is not None
        target: Any = draft
        for name in step.field.split("."):
            target = getattr(target, name)
        return target

    def _keep(self, draft: D, step: Step[D], value: object) -> None:
        if step.field is None:
            raise ValueError(f"step {step.state!r} has neither a field nor an answer callable")
        *path, last = step.field.split(".")
        target: Any = draft
        for name in path:
            target = getattr(target, name)
        setattr(target, last, value)

    # -- the summary

    async def _show_summary(self, at: At[D]) -> str:
        flow = self.flow_of(at.draft)
        at.draft.step = self.summary_state
        at.draft.editing = False
        lines: list[str] = await _resolve(flow.summary(at))
        confirm = Option(CONFIRM, "✅ " + at.tr.plain(self.confirm_label))
        edits = [
            self._button(
                at,
                self.summary_state,
                Option(SUMMARY_EDIT, "", detail=step.state),
                "✏️ " + at.tr.plain(step.label),
            )
            for step in flow.steps
            if step.label is not None and step.state in at.draft.asked
        ]
        keyboard = [[self._button(at, self.summary_state, confirm, confirm.label)]]
        keyboard += _rows(edits, 2)
        await at.reply("\n".join(lines), reply_markup=InlineKeyboardMarkup(keyboard))
        return self.summary_state

    async def _missing(self, at: At[D], flow: Flow[D]) -> Step[D] | None:
        for step in flow.steps:
            if not step.required or step.field is None:
                continue
            if _empty(self._get(at.draft, step)) and not await self._skipped(at, step):
                return step
        return None

    async def _on_summary(self, update: Update, context: Context) -> object:
        async def body(at: At[D]) -> object:
            query = update.callback_query
            assert query is not None
            read = await self._read(at, self.summary_state)
            if read is None:
                return None
            value, detail = read
            flow = self.flow_of(at.draft)
            if value == CONFIRM and detail is None:
                missing = await self._missing(at, flow)
                if missing is None:
                    return await self._confirmed(at, await flow.confirm(at))
                await query.answer()
                await at.close_choice()
                at.draft.editing = True
                if await self._ask(at, missing):
                    return missing.state
                return await self._show_summary(at)
            position = flow.index(detail) if value == SUMMARY_EDIT and detail else None
            step = flow.steps[position] if position is not None else None
            if step is None or step.label is None:
                await query.answer(at.tr.plain(NOT_VALID), show_alert=True)
                return None
            await query.answer()
            await at.close_choice()
            at.draft.editing = True
            if await self._ask(at, step):
                return step.state
            return await self._show_summary(at)

        return await self._run(update, context, body)

    async def _confirmed(self, at: At[D], outcome: Outcome) -> object:
        """What `confirm` returned: None stays on the summary; `Goto` comes back to it."""
        if outcome is None:
            return None
        if isinstance(outcome, Goto):
            at.draft.editing = True
        return await self._follow(at, None, outcome)

    # -- handlers

    async def _read(self, at: At[D], state: str) -> tuple[str, str | None] | None:
        """The button's value and detail, or None once told it is from an older question."""
        query = at.update.callback_query
        assert query is not None
        read = self.wire.read(query.data)
        if read is None or read[0] != at.draft.nonce or read[1] != state:
            await query.answer(at.tr.plain(OLDER), show_alert=True)
            return None
        return read[2], read[3]

    def _on_button(self, step: Step[D]) -> Handler:
        async def body(at: At[D]) -> object:
            query = at.update.callback_query
            assert query is not None
            read = await self._read(at, step.state)
            if read is None:
                return None
            buttons = step.buttons
            options = {(o.value, o.detail): o for o in await self._options(at, step)}
            if isinstance(buttons, Choices):
                return await self._ticked(at, step, buttons, options, read)
            option = options.get(read)
            if buttons is None or option is None:
                unknown = buttons.unknown if buttons is not None else NOT_VALID
                await query.answer(at.tr.plain(unknown), show_alert=True)
                return None
            await query.answer()
            await at.close_choice(option.echo or option.label)
            if buttons.answer is not None:
                outcome: Outcome = await _resolve(buttons.answer(at, option))
            else:
                self._keep(at.draft, step, option.kept)
                outcome = None
            return await self._follow(at, step, outcome)

        async def on_button(update: Update, context: Context) -> object:
            return await self._run(update, context, body)

        return on_button

    async def _ticked(
        self,
        at: At[D],
        step: Step[D],
        choices: Choices[D],
        options: dict[tuple[str, str | None], Option],
        read: tuple[str, str | None],
    ) -> object:
        query = at.update.callback_query
        assert query is not None
        chosen = self._chosen(at, step, choices)
        if read == (choices.done_value, None):
            if not chosen and choices.at_least_one is not None:
                await query.answer(at.tr.plain(choices.at_least_one), show_alert=True)
                await self._redraw(at, step, choices)
                return None
            await query.answer()
            return await self._finish(at, step, choices, chosen, list(options.values()))
        option = options.get(read)
        if option is None:  # e.g. "Autres secteurs" on an older copy of the question
            await query.answer(at.tr.plain(NOT_VALID), show_alert=True)
            await self._redraw(at, step, choices)
            return None
        if option.kept in chosen:
            chosen = [item for item in chosen if item != option.kept]
        elif choices.at_most is None or len(chosen) < choices.at_most:
            chosen = [*chosen, option.kept]
        else:
            # Never moves on by itself: the person said when they are done.
            await query.answer(at.tr.plain(FULL_CHOICE, count=choices.at_most), show_alert=True)
            await self._redraw(at, step, choices)
            return None
        await query.answer()
        self._choose(at, step, choices, chosen)
        await self._redraw(at, step, choices)
        return None

    async def _redraw(self, at: At[D], step: Step[D], choices: Choices[D]) -> None:
        """The ticks and buttons as stored, on the message pressed. Also after a refusal: a
        screen that disagrees with the draft (an older copy of the question, an edit that
        came late) shows the truth again, so the person sees what to press."""
        query = at.update.callback_query
        assert query is not None
        markup = await self._keyboard(at, step)
        if choices.redraw_text:
            await query.edit_message_text(await self._prompt(at, step), reply_markup=markup)
        else:
            await query.edit_message_reply_markup(reply_markup=markup)

    def _choose(self, at: At[D], step: Step[D], choices: Choices[D], chosen: list[str]) -> None:
        if choices.choose is not None:
            choices.choose(at.draft, chosen)
        else:
            self._keep(at.draft, step, chosen)

    async def _finish(
        self,
        at: At[D],
        step: Step[D],
        choices: Choices[D],
        chosen: list[str],
        options: list[Option],
    ) -> object:
        labels = {option.kept: option.echo or option.label for option in options}
        if choices.typed_limit is None:
            chosen = [item for item in chosen if item in labels]
        shown = ", ".join(labels.get(item, item) for item in chosen)
        if not shown and choices.nothing is not None:
            shown = at.tr.plain(choices.nothing)
        await at.close_choice(shown)
        self._choose(at, step, choices, chosen)
        return await self._follow(at, step, None)

    def _on_text(self, step: Step[D]) -> Handler:
        async def body(at: At[D]) -> object:
            choices = step.buttons
            text_input = step.text
            limit = text_input.limit if text_input else getattr(choices, "typed_limit", 0)
            message = at.update.effective_message
            raw = message.text if message else None
            text = normalise(raw)
            if not text:
                return await self._follow(at, step, Refused(EMPTY))
            if text_input is None:
                assert isinstance(choices, Choices)
                return await self._typed_items(at, step, choices, split_items(raw or ""))
            if len(text) > limit:
                return await self._follow(
                    at, step, Refused(TOO_LONG, {"limit": limit, "count": len(text)})
                )
            value: object = text
            if text_input.parse is not None:
                value = await _resolve(text_input.parse(at, text))
                if isinstance(value, Refused):
                    return await self._follow(at, step, value)
            if text_input.answer is not None:
                return await self._follow(at, step, await _resolve(text_input.answer(at, value)))
            self._keep(at.draft, step, value)
            return await self._follow(at, step, None)

        async def on_text(update: Update, context: Context) -> object:
            return await self._run(update, context, body)

        return on_text

    async def _typed_items(
        self, at: At[D], step: Step[D], choices: Choices[D], items: list[str]
    ) -> object:
        """Typed items join the ticked ones ("ménage, repassage et cuisine" is three), each
        within `typed_limit`, all within `at_most`; the person ends with "done"."""
        limit = choices.typed_limit or 0
        too_long = next((item for item in items if len(item) > limit), None)
        if too_long is not None:
            return await self._follow(
                at, step, Refused(TOO_LONG, {"limit": limit, "count": len(too_long)})
            )
        chosen = self._chosen(at, step, choices)
        known = {existing.casefold() for existing in chosen}
        chosen = [*chosen, *(item for item in items if item.casefold() not in known)]
        if choices.at_most is not None and len(chosen) > choices.at_most:
            return await self._follow(
                at, step, Refused(TOO_MANY, {"count": choices.at_most, "given": len(chosen)})
            )
        self._choose(at, step, choices, chosen)
        return await self._follow(at, step, AGAIN)

    def _on_photo(self, step: Step[D], photo: Photo[D]) -> Handler:
        async def body(at: At[D]) -> object:
            message = at.update.effective_message
            assert message is not None and message.photo
            file_id = message.photo[-1].file_id
            if photo.answer is not None:
                return await self._follow(at, step, await _resolve(photo.answer(at, file_id)))
            self._keep(at.draft, step, file_id)
            return await self._follow(at, step, None)

        async def on_photo(update: Update, context: Context) -> object:
            return await self._run(update, context, body)

        return on_photo

    def _wrong(self, message: str) -> Handler:
        """For what the question does not take: say what it expects, and ask it again."""

        async def body(at: At[D]) -> None:
            await at.reply(at.tr(message))
            await self._reask(at)

        async def wrong(update: Update, context: Context) -> object:
            return await self._run(update, context, body)

        return wrong


def _rows(items: list[InlineKeyboardButton], per_row: int) -> list[list[InlineKeyboardButton]]:
    return [items[index : index + per_row] for index in range(0, len(items), per_row)]


STEPS_API_READY = True
