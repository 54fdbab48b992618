"""Telegram transport: read an update, hand an :class:`~bot.service.Event` to the service,
send or edit the reply. No SQL, no user-facing text and no conversation decisions here.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    Chat,
    ChatMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Message,
    ReplyParameters,
    TelegramObject,
    Update,
    User,
)
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import JSONDict
from telegram.constants import ChatType
from telegram.error import BadRequest, EndPointNotFound, Forbidden, InvalidToken, TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    ExtBot,
    InlineQueryHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.i18n import Html, Translator
from bot.inline import InlineCards
from bot.lru import Lru
from bot.render import Button, View
from bot.service import COMMANDS, Conversations, Event, Kind, Reply
from bot.storage import Postponed, damaged_message, is_damaged
from bot.tracing import keep_update, on_storage_wait

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE

#: The command that starts the conversation, also as the /start deep-link payload.
COMPLAINT = "complaint"
#: The /start deep-link payload of the sources behind an inline card: ``src_<problem id>``
#: (``src_start``: the "where to start" card).
SOURCES_LINK = "src_"


class Keyboard(InlineKeyboardMarkup):
    """The inline keyboard of a :class:`View`, sent straight from the view.

    python-telegram-bot makes every button a frozen object and serialises the markup by
    reflection: about 30 µs to build a four-button keyboard and 40 µs to serialise it, more
    than the rest of a conversation step. The view holds exactly the JSON Telegram gets, so
    that is what is sent. The ``InlineKeyboardButton`` objects are made only when something
    asks for them (``inline_keyboard``, and through it equality, hashing, copies and pickles,
    which therefore behave as for any ``InlineKeyboardMarkup``); sending never does.
    """

    __slots__ = ("_json", "_rows")

    def __init__(self, rows: Sequence[Sequence[Button]]) -> None:
        # Not InlineKeyboardMarkup.__init__: that would make the buttons now.
        TelegramObject.__init__(self)
        self._rows = tuple(tuple(row) for row in rows)
        self._json: JSONDict = {"inline_keyboard": [[_button_json(b) for b in row] for row in rows]}
        del self._id_attrs  # made with the buttons, by __getattr__
        self._freeze()

    def __getattr__(self, name: str) -> Any:
        # Called only for an attribute not set yet: the buttons, and what compares them.
        if name not in ("inline_keyboard", "_id_attrs"):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        buttons = tuple(
            tuple(InlineKeyboardButton(b.label, callback_data=b.data, url=b.url) for b in row)
            for row in self._rows
        )
        # Past TelegramObject's guard against changes: these only fill in what was deferred.
        object.__setattr__(self, "inline_keyboard", buttons)
        object.__setattr__(self, "_id_attrs", (buttons,))
        return getattr(self, name)

    def to_dict(self, recursive: bool = True) -> JSONDict:
        # A new outer dict; the rows inside are shared, and nothing in PTB's request layer
        # changes them (it only serialises them).
        return dict(self._json)


def _button_json(button: Button) -> JSONDict:
    if button.data is not None:
        return {"text": button.label, "callback_data": button.data}
    if button.url is not None:
        return {"text": button.label, "url": button.url}
    raise ValueError(f"button {button.label!r} has neither data nor a link")


def keyboard(view: View) -> Keyboard | None:
    return Keyboard(view.keyboard) if view.keyboard else None


# ---- drawing a screen ------------------------------------------------------------------------

#: The screen's calls go through ``do_api_request``, for which PTB warns that a typed
#: method exists; that is known and meant (see _draw), so only these warnings are muted.
warnings.filterwarnings(
    "ignore",
    message=r"Please use 'Bot\.(sendMessage|editMessageText|editMessageReplyMarkup)' instead",
    category=PTBUserWarning,
)

#: What ``send_message`` and ``edit_message_text`` leave to the bot's ``Defaults`` (HTML,
#: no link previews, …): PTB fills these in from them, as for its typed methods (which
#: send all four with an edit too).
_DEFAULTS: JSONDict = {
    "parse_mode": DEFAULT_NONE,
    "link_preview_options": DEFAULT_NONE,
    "disable_notification": DEFAULT_NONE,
    "protect_content": DEFAULT_NONE,
}
#: An edit has no notification to silence nor content to protect: the Bot API's
#: editMessageText takes neither, so only the other two are sent (PTB's typed edit sends
#: all four when Defaults set them).
_EDIT_DEFAULTS: JSONDict = {
    "parse_mode": DEFAULT_NONE,
    "link_preview_options": DEFAULT_NONE,
}


async def _draw(bot: ExtBot[None], method: str, params: JSONDict) -> object:
    """Make a screen's Bot API call and return Telegram's result as plain JSON.

    ``send_message`` and ``edit_message_text`` turn Telegram's reply into a ``Message``,
    the costliest part of a button press (see the README's benchmarks), while the bot
    reads only ``message_id`` from it. Otherwise the request is theirs: PTB fills in the
    same defaults, serialises the keyboard, applies the rate limiter and raises the same
    errors (``BadRequest`` for "message is not modified", ``RetryAfter``, ``Forbidden``).
    The keyboards do not pass through ExtBot's cache of arbitrary callback data, which
    this bot does not use: its callback data is plain text (:mod:`bot.callbacks`).
    """
    try:
        return await bot.do_api_request(method, api_kwargs=params)
    except EndPointNotFound as exc:
        # do_api_request reports a rejected token as an unknown method; say what it is.
        if isinstance(exc.__cause__, InvalidToken):
            raise exc.__cause__ from None
        raise


async def send_screen(
    bot: ExtBot[None], chat_id: int, view: View, reply_to: int | None = None
) -> int:
    """Send ``view`` as a new message (in reply to ``reply_to``); its message id.

    A reply without one (which Telegram never sends) raises ``TelegramError``, after the
    message may have been shown: then its keyboard is not remembered, and the person is
    told something went wrong.
    """
    params: JSONDict = {
        **_DEFAULTS,
        "chat_id": chat_id,
        "text": view.text,
        "reply_markup": keyboard(view),
    }
    if reply_to is not None:
        params["reply_parameters"] = ReplyParameters(reply_to, allow_sending_without_reply=True)
    sent = await _draw(bot, "sendMessage", params)
    message_id = sent.get("message_id") if isinstance(sent, dict) else None
    if type(message_id) is not int:
        raise TelegramError(f"sendMessage returned no message id (a {type(sent).__name__})")
    return message_id


async def edit_screen(bot: ExtBot[None], chat_id: int, message_id: int, view: View) -> None:
    """Redraw message ``message_id`` as ``view``."""
    params: JSONDict = {
        **_EDIT_DEFAULTS,
        "chat_id": chat_id,
        "message_id": message_id,
        "text": view.text,
        "reply_markup": keyboard(view),
    }
    await _draw(bot, "editMessageText", params)


async def remove_keyboard(bot: ExtBot[None], chat_id: int, message_id: int) -> None:
    """Remove the keyboard of message ``message_id``.

    ``edit_message_reply_markup`` would send the ``parse_mode`` of the bot's ``Defaults``
    too, a parameter editMessageReplyMarkup does not have; an edit without
    ``reply_markup`` removes the keyboard."""
    await _draw(bot, "editMessageReplyMarkup", {"chat_id": chat_id, "message_id": message_id})


def private_link(bot_username: str) -> str:
    """The deep link that opens a private chat with the bot at the complaint's start."""
    return f"https://t.me/{bot_username}?start={COMPLAINT}"


def sources_link(bot_username: str, card_id: str) -> str:
    """The deep link that opens a private chat with the sources behind an inline card.

    Telegram allows 1–64 characters ``A-Z a-z 0-9 _ -`` in the payload; problem ids are
    short lower-case words."""
    return f"https://t.me/{bot_username}?start={SOURCES_LINK}{card_id.removeprefix('p.')}"


def _is_group(chat: Chat) -> bool:
    return chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)


def _is_not_modified(exc: BadRequest) -> bool:
    # Telegram refuses an edit that changes nothing; for us that means "already shown".
    return "message is not modified" in exc.message.lower()


class TelegramTransport:
    """The bot's handlers, bound to one :class:`Conversations` service."""

    #: Inline answers are the same for everyone and change only with a new release.
    INLINE_CACHE_S = 300

    def __init__(
        self,
        conversations: Conversations,
        inline_cards: InlineCards,
        bot_username: str,
        replied: Callable[[int], None] | None = None,
    ) -> None:
        self.conversations = conversations
        self.inline_cards = inline_cards
        self.bot_username = bot_username
        #: Told an update's id as soon as its reply is out (the inbox lets it go), before
        #: the tidying up, so a crash in between does not send the reply a second time.
        self.replied = replied
        #: What the bot's recent messages show, (chat, message) → view, to skip edits
        #: Telegram would refuse as "message is not modified" (a double tap, a redelivered
        #: press). In memory: after a restart an edit is simply tried.
        self.shown: Lru[tuple[int, int], View] = Lru(10_000)
        #: Callback queries answered already, so the error handler never answers twice.
        self.answered: Lru[str, bool] = Lru(10_000)
        #: Updates whose sender was told to wait a second (the database refused writes).
        self.noted: Lru[int, bool] = Lru(10_000)

    def handlers(self) -> Sequence[BaseHandler[Update, Context, None]]:
        """All handlers, in the order they must be tried.

        Button presses and inline queries first: they are most of the traffic, and no other
        handler takes them, so they skip the command checks. Then known commands (in groups
        too, also as ``/complaint@bot``), then the bot being added to a group; typed text,
        and the hints for anything else a person sends (stickers, photos, voice, unknown
        commands), are for private chats only, so the bot stays quiet about group chatter.
        """
        private = filters.ChatType.PRIVATE
        return [
            CallbackQueryHandler(self.on_press),
            InlineQueryHandler(self.on_inline_query),
            # An edited message is not a new answer: "/complaint" corrected into
            # "/complaint" must not start over, nor a fixed typo answer a question again.
            MessageHandler(filters.UpdateType.EDITED, self.on_edited),
            CommandHandler("start", self.on_start),
            *(CommandHandler(name, self._command(kind)) for name, kind in COMMANDS.items()),
            ChatMemberHandler(self.on_membership, ChatMemberHandler.MY_CHAT_MEMBER),
            MessageHandler(private & filters.COMMAND, self.on_unknown_command),
            MessageHandler(private & filters.TEXT, self.on_text),
            MessageHandler(private & ~filters.StatusUpdate.ALL, self.on_other),
        ]

    async def register_commands(self, bot: Bot) -> None:
        """The command menus of private chats and of groups, in every catalog's language.

        The default (no language) menu is Russian, the bot's first language.
        """
        catalogs, renderer = self.conversations.catalogs, self.conversations.renderer
        default = catalogs.pick(None)
        for language in sorted(catalogs.languages):
            tr = catalogs.translator(language)
            for scope, group in (
                (BotCommandScopeAllPrivateChats(), False),
                (BotCommandScopeAllGroupChats(), True),
            ):
                commands = [BotCommand(c, d) for c, d in renderer.commands(tr, group=group)]
                await bot.set_my_commands(commands, scope=scope, language_code=language)
                if language == default:
                    await bot.set_my_commands(commands, scope=scope)

    # ---- handlers ------------------------------------------------------------------------

    async def on_start(self, update: Update, context: Context) -> None:
        args = context.args or []
        if args and args[0].startswith(SOURCES_LINK):  # the sources of an inline card
            topic = args[0].removeprefix(SOURCES_LINK)
            await self._message_event(update, context, Kind.SOURCES, topic)
            return
        begin = bool(args) and args[0] == COMPLAINT
        await self._message_event(update, context, Kind.BEGIN if begin else Kind.GREET)

    def _command(self, kind: Kind) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
        """The handler of a command that is one event."""

        async def on_command(update: Update, context: Context) -> None:
            await self._message_event(update, context, kind)

        return on_command

    async def on_edited(self, update: Update, context: Context) -> None:
        """Edits change nothing (the dispatcher's line records the update)."""

    async def on_text(self, update: Update, context: Context) -> None:
        await self._message_event(update, context, Kind.SAY)

    async def on_unknown_command(self, update: Update, context: Context) -> None:
        await self._message_event(update, context, Kind.UNKNOWN_COMMAND)

    async def on_other(self, update: Update, context: Context) -> None:
        message = update.effective_message
        if message is not None and message.caption:  # a photo with words: read the words
            await self._message_event(update, context, Kind.SAY, message.caption)
            return
        await self._message_event(update, context, Kind.HINT)

    async def on_press(self, update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None
        # Typed as always there, but PTB builds a query without ``from`` all the same.
        user: User | None = query.from_user
        if user is None:  # not something Telegram sends; the spinner stops all the same
            log.info("update %s: a callback query without a sender; ignored", update.update_id)
            self.answered.put(query.id, True)
            try:
                await query.answer()
            except TelegramError as exc:
                log.info("callback query of update %s not answered: %s", update.update_id, exc)
            return
        message = query.message
        chat_id = message.chat.id if message else user.id

        async def on_wait(refused: bool) -> None:
            # The step waits for the database: answer the press now, while Telegram still
            # accepts the answer (10–15 s), with a note that the screen follows.
            await self.answer_waiting([update], refused)

        on_storage_wait(on_wait)
        try:
            reply = await self.conversations.handle(
                Event(
                    kind=Kind.PRESS,
                    chat_id=chat_id,
                    user_id=user.id,
                    language_code=user.language_code,
                    text=query.data or "",
                    message_id=message.message_id if message else None,
                    update_id=update.update_id,
                    group=message is not None and _is_group(message.chat),
                )
            )
        finally:
            on_storage_wait(None)
        # Answer first: the spinner on the button stops whatever happens next. (Answered
        # already if the step had to wait for the database.)
        answered = query.id in self.answered
        self.answered.put(query.id, True)
        for attempt in () if answered else (1, 2):
            try:
                await query.answer(reply.notice, show_alert=reply.alert)
                break
            except BadRequest as exc:  # too old: a press redelivered after a restart
                log.info("callback query of update %s not answered: %s", update.update_id, exc)
                break
            except TelegramError as exc:  # a hiccup: once more, then draw the screen anyway
                log.info("answering update %s failed (try %d): %s", update.update_id, attempt, exc)
        if message is None:
            return
        if reply.stale:  # the presser owns it: someone else's press is refused before this
            await self._strip_keyboard(context, chat_id, message.message_id)
        if reply.view is None:
            return
        view = reply.view
        if self.shown.get((chat_id, message.message_id)) == view:
            return  # already on screen: a double tap or a redelivered press
        try:
            await edit_screen(context.bot, chat_id, message.message_id, view)
        except BadRequest as exc:
            if not _is_not_modified(exc):
                # The message can no longer be edited (deleted, too old): draw a new one.
                log.info("edit failed in update %s (%s); sending anew", update.update_id, exc)
                await self._send(context, chat_id, reply)
                await self._strip_keyboard(context, chat_id, message.message_id)
                return
        self.shown.put((chat_id, message.message_id), view)

    async def answer_waiting(self, updates: Sequence[Update], refused: bool) -> None:
        """Updates wait for the database: answer their button presses now, with a short
        note (the screen follows once the step is stored). If the database refused them
        (rather than making them wait for a lock), messages in private chats get the
        note too, once; the answer follows when the database takes writes again."""
        for update in updates:
            message = update.message
            if message is not None and refused and message.chat.type == ChatType.PRIVATE:
                await self._note_wait(update, message)
            query = update.callback_query
            if query is None or query.id in self.answered:
                continue
            self.answered.put(query.id, True)
            user: User | None = query.from_user
            user_id = user.id if user is not None else 0
            chat_id = query.message.chat.id if query.message else user_id
            code = user.language_code if user is not None else None
            note = self.conversations.wait_note(chat_id, user_id, code)
            try:
                await query.answer(note)
            except TelegramError as exc:
                log.info("callback query of update %s not answered: %s", update.update_id, exc)

    async def _note_wait(self, update: Update, message: Message) -> None:
        """«One moment, please…» in the chat of ``message``, at most once per update."""
        if update.update_id in self.noted:
            return
        self.noted.put(update.update_id, True)
        user = message.from_user
        note = self.conversations.wait_note(
            message.chat.id, user.id if user else 0, user.language_code if user else None
        )
        try:
            await message.get_bot().send_message(message.chat.id, note)
        except TelegramError as exc:
            log.info("could not send the wait note of update %s: %s", update.update_id, exc)

    async def on_inline_query(self, update: Update, context: Context) -> None:
        """Cards ranked by the typed words; answered from memory, no database."""
        query = update.inline_query
        assert query is not None
        language = self.conversations.catalogs.pick(query.from_user.language_code)
        tr = self.conversations.catalogs.translator(language)
        renderer = self.conversations.renderer
        step_by_step = InlineKeyboardButton(
            renderer.inline_button(tr), url=private_link(self.bot_username)
        )
        sources = renderer.sources_button(tr)
        results = [
            InlineQueryResultArticle(
                id=card.id,
                title=card.title,
                description=card.description,
                input_message_content=InputTextMessageContent(card.text),
                reply_markup=InlineKeyboardMarkup(
                    [
                        [step_by_step],
                        [
                            InlineKeyboardButton(
                                sources, url=sources_link(self.bot_username, card.id)
                            )
                        ],
                    ]
                ),
            )
            for card in self.inline_cards.answer(query.query, language)
        ]
        await query.answer(results, cache_time=self.INLINE_CACHE_S)

    async def on_membership(self, update: Update, context: Context) -> None:
        """The bot's own membership changed.

        In a private chat: the person blocked the bot ("kicked") or unblocked it. In a group:
        removed, or added, which gets one short message on how to use the bot there.
        """
        change = update.my_chat_member
        assert change is not None
        was_in = change.old_chat_member.status in (ChatMember.MEMBER, ChatMember.ADMINISTRATOR)
        is_in = change.new_chat_member.status in (ChatMember.MEMBER, ChatMember.ADMINISTRATOR)
        if was_in != is_in:
            await self.conversations.set_blocked(change.chat.id, not is_in)
        if was_in or not is_in or not _is_group(change.chat):
            return
        user = change.from_user
        tr = await self.conversations.person_translator(change.chat.id, user.id, user.language_code)
        text = self.conversations.renderer.group_intro(tr, self.bot_username)
        await context.bot.send_message(change.chat.id, text)

    async def on_error(self, update: object, context: Context) -> None:
        """The one error handler: log without secrets, tell the person kindly."""
        update_id = update.update_id if isinstance(update, Update) else None
        if isinstance(context.error, Postponed):
            # The bot stops while the database refuses the step: not done, and not failed
            # either. The update stays in the inbox and is handled at the next start.
            keep_update()
            log.info("update %s waits for the next start: %s", update_id, context.error)
            query = update.callback_query if isinstance(update, Update) else None
            if query is not None and query.id not in self.answered:
                self.answered.put(query.id, True)
                try:
                    await query.answer()
                except TelegramError as exc:
                    log.info("could not answer callback query of update %s: %s", update_id, exc)
            return
        if isinstance(context.error, Forbidden):  # blocked by the user: nobody to tell
            log.info("update %s: %s", update_id, context.error)
            if isinstance(update, Update) and update.effective_chat is not None:
                await self.conversations.set_blocked(update.effective_chat.id, True)
            return
        if context.error is not None and is_damaged(context.error):
            # Not this update's fault, and waiting does not help: the operator must repair
            # the file. The update stays in the inbox, to be handled once that is done.
            keep_update()
            path = self.conversations.store.path
            log.error("update %s: %s", update_id, damaged_message(path, str(context.error)))
        else:
            log.error("update %s failed", update_id, exc_info=context.error)
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        tr = await self._translator_after_error(update)
        query = update.callback_query
        if query is not None and query.id not in self.answered:
            try:
                await query.answer()
            except TelegramError as exc:
                log.info("could not answer callback query of update %s: %s", update_id, exc)
        try:
            await context.bot.send_message(
                update.effective_chat.id, self.conversations.renderer.error(tr)
            )
        except TelegramError as exc:
            log.warning("could not tell chat about the failed update %s: %s", update_id, exc)

    # ---- internals -----------------------------------------------------------------------

    async def _translator_after_error(self, update: Update) -> Translator:
        """The person's language, or Telegram's if even that cannot be read (the database
        may be what failed)."""
        user, chat = update.effective_user, update.effective_chat
        code = user.language_code if user else None
        if user is not None and chat is not None:
            try:
                return await self.conversations.person_translator(chat.id, user.id, code)
            except Exception as exc:
                log.warning("language of update %s unknown (%s)", update.update_id, exc)
        return self.conversations.translator(None, code)

    async def _message_event(
        self, update: Update, context: Context, kind: Kind, text: str | None = None
    ) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None:
            return
        if message.sender_chat is not None and (user is None or user.is_bot):
            # An anonymous group admin (or a channel): no person to own a conversation
            # and its buttons. Said how to use the bot, with the private chat a tap away.
            await self._anonymous(update, context, message)
            return
        if user is None:
            return

        async def on_wait(refused: bool) -> None:
            # The database refused the step, which waits until it is accepted: one short
            # note, so that the silence is not taken for a dead bot. (A lock that is merely
            # waited for is usually gone in a moment: no note for that.)
            if refused:
                await self._note_wait(update, message)

        on_storage_wait(on_wait)
        try:
            reply = await self.conversations.handle(
                Event(
                    kind=kind,
                    chat_id=message.chat.id,
                    user_id=user.id,
                    language_code=user.language_code,
                    text=(message.text or "") if text is None else text,
                    update_id=update.update_id,
                    group=_is_group(message.chat),
                )
            )
        finally:
            on_storage_wait(None)  # once the reply goes out, a wait is not worth a note
        if reply.view is None:
            return
        # In a group, answer the command itself, so it is clear whom the reply is for.
        reply_to = message.message_id if _is_group(message.chat) else None
        await self._send(
            context, message.chat.id, reply, reply_to=reply_to, update_id=update.update_id
        )
        if reply.previous_message_id is not None:
            await self._strip_keyboard(context, message.chat.id, reply.previous_message_id)

    async def _anonymous(self, update: Update, context: Context, message: Message) -> None:
        if not _is_group(message.chat):
            return
        log.info("update %s: a command sent anonymously; the intro is shown", update.update_id)
        renderer, catalogs = self.conversations.renderer, self.conversations.catalogs
        tr = catalogs.translator(catalogs.pick(None))
        button = InlineKeyboardButton(
            renderer.inline_button(tr), url=private_link(self.bot_username)
        )
        await context.bot.send_message(
            message.chat.id,
            renderer.group_intro(tr, self.bot_username),
            reply_markup=InlineKeyboardMarkup([[button]]),
            reply_parameters=ReplyParameters(message.message_id, allow_sending_without_reply=True),
        )

    async def _send(
        self,
        context: Context,
        chat_id: int,
        reply: Reply,
        *,
        reply_to: int | None = None,
        update_id: int | None = None,
    ) -> None:
        """Send the reply; ``update_id``'s update is let go as soon as it is out, before the
        message id is stored (which may wait for the database): a stop while that waits must
        not have the update handled, and replied to, again after the restart."""
        view = reply.view
        assert view is not None
        message_id = await send_screen(context.bot, chat_id, view, reply_to)
        self.shown.put((chat_id, message_id), view)
        if update_id is not None and self.replied is not None:
            self.replied(update_id)
        if reply.session is not None and view.keyboard and not reply.menu:
            await self.conversations.remember_message(reply.session, message_id)

    async def _strip_keyboard(self, context: Context, chat_id: int, message_id: int) -> None:
        """Remove an out-of-date keyboard; a message already without one is fine."""
        shown = self.shown.get((chat_id, message_id))
        if shown is not None and not shown.keyboard:
            return
        try:
            await remove_keyboard(context.bot, chat_id, message_id)
        except (BadRequest, Forbidden) as exc:
            log.debug("keyboard of message %s left as is: %s", message_id, exc)
            return
        except TelegramError as exc:
            log.info("could not remove keyboard of message %s: %s", message_id, exc)
            return
        self.shown.put((chat_id, message_id), View(shown.text if shown else Html("")))
