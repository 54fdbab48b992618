"""A fake Telegram Bot API server for end-to-end tests.

The real python-telegram-bot client talks to it over HTTP on 127.0.0.1. It validates requests
the way Telegram does (entity parsing, text length, keyboards, callback answers), so a request
Telegram would reject fails the test, and it records every call for assertions.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import math
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = [
    "FLOOD_LIMITED_METHODS",
    "ApiError",
    "BotMessage",
    "Call",
    "EntityParseError",
    "FakeTelegram",
    "parse_html",
    "parse_markdown",
    "parse_markdown_v2",
    "render_text",
    "utf16_len",
]

JSONDict = dict[str, Any]
Handler = Callable[[JSONDict], Awaitable[Any]]

MAX_MESSAGE_UTF16 = 4096
MAX_ENTITIES = 100
MAX_CALLBACK_ANSWER_UTF16 = 200
MAX_BUTTONS = 100
MAX_BUTTONS_PER_ROW = 8
MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_RESULTS = 50
MAX_RESULT_ID_BYTES = 64
MAX_COMMANDS = 100
MAX_COMMAND_DESCRIPTION = 256
MAX_DESCRIPTION = 512
MAX_SHORT_DESCRIPTION = 120
MAX_POLL_SECONDS = 60.0

QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
CANT_PARSE_MARKUP = "Bad Request: can't parse reply keyboard markup JSON object"
CANT_PARSE_BUTTON = "Bad Request: can't parse inline keyboard button: "

#: The methods that send or edit a message, the ones Telegram's flood control counts ("about
#: 30 messages a second overall, 20 a minute per group"). Callback and inline answers, chat
#: actions, getUpdates and the bot's settings are not messages and are never limited.
FLOOD_LIMITED_METHODS = frozenset({"sendMessage", "editMessageText", "editMessageReplyMarkup"})

#: The parameters each method has in the Bot API's own description
#: (https://core.telegram.org/bots/api). Telegram ignores others; this fake refuses them, so
#: that the bot makes no call the spec does not describe (a ``parse_mode`` on
#: editMessageReplyMarkup, a ``protect_content`` on an edit).
BOT_API_PARAMS: dict[str, frozenset[str]] = {
    name: frozenset(params.split())
    for name, params in {
        "getMe": "",
        "logOut": "",
        "close": "",
        "getUpdates": "offset limit timeout allowed_updates",
        "setWebhook": "url certificate ip_address max_connections allowed_updates "
        "drop_pending_updates secret_token",
        "deleteWebhook": "drop_pending_updates",
        "getWebhookInfo": "",
        "sendMessage": "business_connection_id chat_id message_thread_id "
        "direct_messages_topic_id text parse_mode entities link_preview_options "
        "disable_notification protect_content allow_paid_broadcast message_effect_id "
        "suggested_post_parameters reply_parameters reply_markup",
        "editMessageText": "business_connection_id chat_id message_id inline_message_id text "
        "parse_mode entities link_preview_options reply_markup",
        "editMessageReplyMarkup": "business_connection_id chat_id message_id inline_message_id "
        "reply_markup",
        "deleteMessage": "chat_id message_id",
        "deleteMessages": "chat_id message_ids",
        "sendChatAction": "business_connection_id chat_id message_thread_id action",
        "answerCallbackQuery": "callback_query_id text show_alert url cache_time",
        "answerInlineQuery": "inline_query_id results cache_time is_personal next_offset button",
        "setMyCommands": "commands scope language_code",
        "getMyCommands": "scope language_code",
        "deleteMyCommands": "scope language_code",
        "setMyDescription": "description language_code",
        "getMyDescription": "language_code",
        "setMyShortDescription": "short_description language_code",
        "getMyShortDescription": "language_code",
        "setChatMenuButton": "chat_id menu_button",
        "getChatMenuButton": "chat_id",
    }.items()
}
_FLOOD_LIMITED_LOWER = frozenset(name.lower() for name in FLOOD_LIMITED_METHODS)

ALL_UPDATE_TYPES = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
)
# Telegram leaves these out unless they are asked for explicitly.
_OPT_IN_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
DEFAULT_ALLOWED_UPDATES = frozenset(ALL_UPDATE_TYPES) - _OPT_IN_UPDATE_TYPES

_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "web_app",
    "login_url",
    "callback_game",
    "pay",
)
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_SCOPE_TYPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_SECRET_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")

# Form fields that stay strings; every other form value is JSON-decoded when it parses.
_RAW_STRING_FIELDS = frozenset(
    {
        "action",
        "address",
        "animation",
        "audio",
        "business_connection_id",
        "callback_query_id",
        "caption",
        "certificate",
        "currency",
        "custom_emoji_id",
        "description",
        "document",
        "emoji",
        "error_message",
        "file_id",
        "first_name",
        "foursquare_id",
        "foursquare_type",
        "game_short_name",
        "google_place_id",
        "google_place_type",
        "inline_message_id",
        "inline_query_id",
        "ip_address",
        "language_code",
        "last_name",
        "message_effect_id",
        "name",
        "next_offset",
        "parse_mode",
        "payload",
        "phone_number",
        "photo",
        "pre_checkout_query_id",
        "provider_token",
        "question",
        "quote",
        "secret_token",
        "shipping_query_id",
        "short_description",
        "start_parameter",
        "sticker",
        "switch_pm_parameter",
        "switch_pm_text",
        "text",
        "thumbnail",
        "title",
        "url",
        "vcard",
        "video",
        "video_note",
        "voice",
    }
)


# --------------------------------------------------------------------------- errors, records


class ApiError(Exception):
    """An error answer of the Bot API; ``validation`` marks a request Telegram would reject."""

    def __init__(
        self,
        status: int,
        description: str,
        *,
        validation: bool = True,
        parameters: JSONDict | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.validation = validation
        self.parameters = parameters


class EntityParseError(Exception):
    """Text markup that Telegram cannot parse (the part after "can't parse entities: ")."""


@dataclass
class Call:
    """One Bot API call as the server saw it."""

    method: str
    params: dict[str, Any]
    ok: bool = True
    error: str | None = None
    status: int = 200
    result: Any = None
    at: float = field(default_factory=time.monotonic)  # when the server took it up

    def __str__(self) -> str:
        params = json.dumps(self.params, ensure_ascii=False, default=str)
        if len(params) > 300:
            params = params[:297] + "..."
        outcome = "ok" if self.ok else f"{self.status} {self.error}"
        return f"{self.method}({params}) -> {outcome}"


@dataclass
class BotMessage:
    """A message the bot sent, in its current state."""

    message_id: int
    chat_id: int
    text: str
    html: str
    parse_mode: str | None
    reply_markup: JSONDict | None
    edits: int = 0
    reply_to_message_id: int | None = None
    entities: list[JSONDict] = field(default_factory=list)

    def buttons(self) -> list[list[JSONDict]]:
        """Rows of the inline keyboard, [] without one."""
        rows = (self.reply_markup or {}).get("inline_keyboard")
        if not isinstance(rows, list):
            return []
        return [list(row) for row in rows if isinstance(row, list)]

    def button_labels(self) -> list[str]:
        """Texts of all inline buttons, row by row."""
        return [str(button.get("text", "")) for row in self.buttons() for button in row]

    def callback_datas(self) -> list[str]:
        """callback_data of all inline buttons that have one."""
        return [
            str(button["callback_data"])
            for row in self.buttons()
            for button in row
            if "callback_data" in button
        ]


@dataclass
class _Fault:
    status: int
    description: str
    retry_after: int | None
    times: int


# --------------------------------------------------------------------------- text parsing


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit Telegram counts in."""
    return len(text.encode("utf-16-le")) // 2


def _u16(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def _is_space(char: str) -> bool:
    # tdlib's is_space; "\0" stands for the end of the text.
    return char in " \t\r\n\v\0"


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _looks_like_url(url: str) -> bool:
    return bool(url) and not any(char.isspace() for char in url)


def _entity(kind: str, offset: int, length: int, **extra: Any) -> JSONDict:
    return {"type": kind, "offset": offset, "length": length, **extra}


def _sorted(entities: list[JSONDict]) -> list[JSONDict]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def _decode_html_entity(text: str, pos: int) -> tuple[str, int] | None:
    """Decode ``&lt;``-style entity at ``pos`` like tdlib: (character, next index) or None."""
    n = len(text)
    end = pos + 1
    code = 0
    if end < n and text[end] == "#":
        end += 1
        base, digits = 10, "0123456789"
        if end < n and text[end] in "xX":
            end += 1
            base, digits = 16, "0123456789abcdefABCDEF"
        while end < n and text[end] in digits:
            code = code * base + int(text[end], base)
            end += 1
            if code >= 0x10FFFF:
                return None
        if code == 0 or end - pos >= 10 or 0xD800 <= code <= 0xDFFF:
            return None
        char = chr(code)
    else:
        while end < n and text[end].isascii() and text[end].isalpha():
            end += 1
        named = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}.get(text[pos + 1 : end])
        if named is None:
            return None
        char = named
    if end < n and text[end] == ";":
        end += 1
    return char, end


def _decode_html_attribute(value: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(value):
        if value[i] == "&":
            decoded = _decode_html_entity(value, i)
            if decoded is not None:
                out.append(decoded[0])
                i = decoded[1]
                continue
        out.append(value[i])
        i += 1
    return "".join(out)


_HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_HTML_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}


@dataclass
class _OpenTag:
    name: str
    argument: str
    offset: int  # UTF-16 offset in the plain text
    out_index: int  # index into the output character list
    start: int  # index of the opening character in the source text


def parse_html(text: str) -> tuple[str, list[JSONDict]]:
    """Parse Telegram HTML into (plain text, entities); raise EntityParseError like tdlib."""
    n = len(text)

    def at(index: int) -> str:
        return text[index] if index < n else "\0"

    out: list[str] = []
    u16 = 0
    stack: list[_OpenTag] = []
    entities: list[JSONDict] = []
    i = 0
    while i < n:
        char = text[i]
        if char == "&":
            decoded = _decode_html_entity(text, i)
            if decoded is not None:
                out.append(decoded[0])
                u16 += _u16(decoded[0])
                i = decoded[1]
                continue
        if char != "<":
            out.append(char)
            u16 += _u16(char)
            i += 1
            continue

        begin = i
        i += 1
        if at(i) != "/":
            while not _is_space(at(i)) and at(i) != ">":
                i += 1
            if i >= n:
                raise EntityParseError(
                    f"Unclosed start tag at byte offset {_byte_offset(text, begin)}"
                )
            tag = text[begin + 1 : i].lower()
            if tag not in _HTML_TAGS:
                raise EntityParseError(
                    f'Unsupported start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
                )
            argument = ""
            while at(i) != ">":
                while i < n and _is_space(text[i]):
                    i += 1
                if at(i) == ">":
                    break
                if i >= n:
                    raise EntityParseError(
                        f'Unclosed start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
                    )
                name_begin = i
                while not _is_space(at(i)) and at(i) not in "=>":
                    i += 1
                attribute = text[name_begin:i].lower()
                while i < n and _is_space(text[i]):
                    i += 1
                if at(i) != "=":
                    if tag == "blockquote" and attribute == "expandable":
                        argument = "expandable"
                        continue
                    raise EntityParseError(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{tag}" at byte offset {_byte_offset(text, begin)}'
                    )
                i += 1
                while i < n and _is_space(text[i]):
                    i += 1
                if i >= n:
                    raise EntityParseError(
                        f'Unclosed start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
                    )
                if text[i] not in "'\"":
                    token_begin = i
                    while at(i).isascii() and (at(i).isalnum() or at(i) in ".-"):
                        i += 1
                    value = text[token_begin:i].lower()
                    if not _is_space(at(i)) and at(i) != ">":
                        raise EntityParseError(
                            "Unexpected end of name token at byte offset "
                            f"{_byte_offset(text, token_begin)}"
                        )
                else:
                    quote = text[i]
                    i += 1
                    value_end = text.find(quote, i)
                    if value_end < 0:
                        raise EntityParseError(
                            "Unclosed end of attribute value at byte offset "
                            f"{_byte_offset(text, i)}"
                        )
                    value = _decode_html_attribute(text[i:value_end])
                    i = value_end + 1
                if tag == "a" and attribute == "href":
                    argument = value
                elif tag == "code" and attribute == "class" and value.startswith("language-"):
                    argument = value[len("language-") :]
                elif tag == "span" and attribute == "class" and value.startswith("tg-"):
                    argument = value[len("tg-") :]
                elif tag == "tg-emoji" and attribute == "emoji-id":
                    argument = value
            if tag == "span" and argument != "spoiler":
                raise EntityParseError(
                    'Tag "span" must have class "tg-spoiler" at byte offset '
                    f"{_byte_offset(text, begin)}"
                )
            if tag == "tg-emoji" and not (argument.isdigit() and int(argument) > 0):
                raise EntityParseError("Invalid custom emoji identifier specified")
            stack.append(_OpenTag(tag, argument, u16, len(out), begin))
            i += 1  # the closing ">"
            continue

        # An end tag.
        if not stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {_byte_offset(text, begin)}")
        i += 1
        name_begin = i
        while not _is_space(at(i)) and at(i) != ">":
            i += 1
        end_name = text[name_begin:i].lower()
        while i < n and _is_space(text[i]):
            i += 1
        if at(i) != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
        opened = stack.pop()
        if end_name and end_name != opened.name:
            raise EntityParseError(
                f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
                f'expected "</{opened.name}>", found "</{end_name}>"'
            )
        i += 1
        length = u16 - opened.offset
        if length <= 0:
            continue
        offset = opened.offset
        if opened.name in _HTML_SIMPLE:
            entities.append(_entity(_HTML_SIMPLE[opened.name], offset, length))
        elif opened.name == "a":
            url = opened.argument or "".join(out[opened.out_index :])
            if _looks_like_url(url):
                entities.append(_entity("text_link", offset, length, url=url))
        elif opened.name == "tg-emoji":
            entities.append(
                _entity("custom_emoji", offset, length, custom_emoji_id=opened.argument)
            )
        elif opened.name == "code":
            code = _entity("code", offset, length)
            if opened.argument:
                code["language"] = opened.argument  # kept only if a <pre> wraps it
            entities.append(code)
        elif opened.name == "pre":
            last = entities[-1] if entities else None
            if (
                last is not None
                and last["type"] == "code"
                and last["offset"] == offset
                and last["length"] == length
            ):
                entities.pop()
                pre = _entity("pre", offset, length)
                if last.get("language"):
                    pre["language"] = last["language"]
                entities.append(pre)
            else:
                entities.append(_entity("pre", offset, length))
        elif opened.name == "blockquote":
            kind = "expandable_blockquote" if opened.argument else "blockquote"
            entities.append(_entity(kind, offset, length))
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    return "".join(out), _sorted(entities)


_MDV2_RESERVED = "_*[]()~`>#+-=|{}.!"
_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}
_CUSTOM_EMOJI_URL = re.compile(r"tg://emoji\?id=(\d+)")


def parse_markdown_v2(text: str) -> tuple[str, list[JSONDict]]:
    """Parse MarkdownV2 into (plain text, entities); raise EntityParseError like tdlib."""
    n = len(text)

    def at(index: int) -> str:
        return text[index] if index < n else "\0"

    def escapable(index: int) -> bool:
        return index < n and 0 < ord(text[index]) <= 126

    out: list[str] = []
    u16 = 0
    stack: list[_OpenTag] = []
    entities: list[JSONDict] = []
    quote: tuple[int, bool] | None = None  # (UTF-16 start, expandable)

    def close_quote() -> None:
        nonlocal quote
        if quote is None:
            return
        end = u16 - 1 if out and out[-1] == "\n" else u16
        if end > quote[0]:
            kind = "expandable_blockquote" if quote[1] else "blockquote"
            entities.append(_entity(kind, quote[0], end - quote[0]))
        quote = None

    i = 0
    while i < n:
        char = text[i]
        in_code = bool(stack) and stack[-1].name in ("code", "pre")
        if not in_code and (i == 0 or text[i - 1] == "\n"):
            if char == ">" or text.startswith("**>", i):
                expandable = char == "*"
                if quote is None:
                    quote = (u16, expandable)
                elif expandable:
                    quote = (quote[0], True)
                i += 3 if expandable else 1
                continue
            close_quote()
        if char == "\\" and escapable(i + 1):
            out.append(text[i + 1])
            u16 += 1
            i += 2
            continue
        reserved = "`" if in_code else _MDV2_RESERVED
        if char not in reserved:
            out.append(char)
            u16 += _u16(char)
            i += 1
            continue
        top = stack[-1].name if stack else None
        if (
            quote is not None
            and quote[1]
            and top != "spoiler"
            and text.startswith("||", i)
            and at(i + 2) in "\n\0"
        ):
            i += 2  # end marker of an expandable block quotation
            continue
        is_end = {
            None: False,
            "bold": char == "*",
            "italic": char == "_" and at(i + 1) != "_",
            "underline": text.startswith("__", i),
            "strikethrough": char == "~",
            "spoiler": text.startswith("||", i),
            "code": char == "`",
            "pre": text.startswith("```", i),
            "text_link": char == "]",
            "custom_emoji": char == "]",
        }[top]
        if not is_end:
            start = i
            argument = ""
            if char == "_":
                if at(i + 1) == "_":
                    kind = "underline"
                    i += 1
                else:
                    kind = "italic"
            elif char == "*":
                kind = "bold"
            elif char == "~":
                kind = "strikethrough"
            elif char == "|" and at(i + 1) == "|":
                kind = "spoiler"
                i += 1
            elif char == "[":
                kind = "text_link"
            elif char == "`":
                if text.startswith("```", i):
                    kind = "pre"
                    i += 3
                    language_end = i
                    while not _is_space(at(language_end)) and at(language_end) != "`":
                        language_end += 1
                    if i != language_end and language_end < n and text[language_end] != "`":
                        argument = text[i:language_end]
                        i = language_end
                    if at(i) in "\r\n":
                        i += 2 if at(i + 1) in "\r\n" and at(i) != at(i + 1) else 1
                    i -= 1
                else:
                    kind = "code"
            elif char == "!" and at(i + 1) == "[":
                kind = "custom_emoji"
                i += 1
            else:
                raise EntityParseError(
                    f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
                )
            stack.append(_OpenTag(kind, argument, u16, len(out), start))
            i += 1
            continue

        opened = stack.pop()
        kind = opened.name
        extra: JSONDict = {}
        if kind in ("underline", "spoiler"):
            i += 1
        elif kind == "pre":
            i += 2
            if opened.argument:
                extra["language"] = opened.argument
        elif kind in ("text_link", "custom_emoji"):
            if at(i + 1) != "(":
                if kind == "custom_emoji":
                    raise EntityParseError("Custom emoji entity must contain a tg://emoji URL")
                url = "".join(out[opened.out_index :])
            else:
                i += 2
                url_begin = i
                url_chars: list[str] = []
                while i < n and text[i] != ")":
                    if text[i] == "\\" and escapable(i + 1):
                        url_chars.append(text[i + 1])
                        i += 2
                        continue
                    url_chars.append(text[i])
                    i += 1
                if at(i) != ")":
                    raise EntityParseError(
                        f"Can't find end of a URL at byte offset {_byte_offset(text, url_begin)}"
                    )
                url = "".join(url_chars)
            if kind == "custom_emoji":
                match = _CUSTOM_EMOJI_URL.fullmatch(url)
                if match is None:
                    raise EntityParseError("Invalid custom emoji URL specified")
                extra["custom_emoji_id"] = match.group(1)
            elif _looks_like_url(url):
                extra["url"] = url
            else:
                kind = ""
        i += 1
        if kind and u16 > opened.offset:
            entities.append(_entity(kind, opened.offset, u16 - opened.offset, **extra))
    close_quote()
    if stack:
        opened = stack[-1]
        raise EntityParseError(
            f"Can't find end of {_MDV2_NAMES[opened.name]} entity at byte offset "
            f"{_byte_offset(text, opened.start)}"
        )
    return "".join(out), _sorted(entities)


def parse_markdown(text: str) -> tuple[str, list[JSONDict]]:
    """Parse legacy Markdown into (plain text, entities); raise EntityParseError like tdlib."""
    n = len(text)

    def at(index: int) -> str:
        return text[index] if index < n else "\0"

    out: list[str] = []
    u16 = 0
    entities: list[JSONDict] = []
    i = 0
    while i < n:
        char = text[i]
        if char == "\\" and at(i + 1) in "_*`[":
            out.append(text[i + 1])
            u16 += 1
            i += 2
            continue
        if char not in "_*`[":
            out.append(char)
            u16 += _u16(char)
            i += 1
            continue
        begin = i
        end_char = "]" if char == "[" else char
        is_pre = False
        language = ""
        i += 1
        if char == "`" and text.startswith("``", i):
            i += 2
            is_pre = True
            language_end = i
            while not _is_space(at(language_end)) and at(language_end) != "`":
                language_end += 1
            if i != language_end and language_end < n and text[language_end] != "`":
                language = text[i:language_end]
                i = language_end
            if at(i) in "\r\n":
                i += 2 if at(i + 1) in "\r\n" and at(i) != at(i + 1) else 1
        offset = u16
        out_index = len(out)
        while i < n and (text[i] != end_char or (is_pre and not text.startswith("``", i + 1))):
            out.append(text[i])
            u16 += _u16(text[i])
            i += 1
        if i >= n:
            raise EntityParseError(
                f"Can't find end of the entity starting at byte offset {_byte_offset(text, begin)}"
            )
        length = u16 - offset
        if char == "[":
            if at(i + 1) == "(":
                close = text.find(")", i + 2)
                url = text[i + 2 : close if close >= 0 else n]
                i = close if close >= 0 else n - 1
            else:
                url = "".join(out[out_index:])
            if length and _looks_like_url(url):
                entities.append(_entity("text_link", offset, length, url=url))
        elif length:
            if is_pre:
                extra = {"language": language} if language else {}
                entities.append(_entity("pre", offset, length, **extra))
            else:
                kind = {"_": "italic", "*": "bold", "`": "code"}[char]
                entities.append(_entity(kind, offset, length))
        if is_pre:
            i += 2
        i += 1
    return "".join(out), _sorted(entities)


def _trim(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Strip surrounding whitespace like Telegram, clipping entities to what is left."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    start = utf16_len(text[: len(text) - len(text.lstrip())])
    end = start + utf16_len(stripped)
    kept: list[JSONDict] = []
    for entity in entities:
        left = max(entity["offset"], start)
        right = min(entity["offset"] + entity["length"], end)
        if right > left:
            kept.append({**entity, "offset": left - start, "length": right - left})
    return stripped, kept


def _check_entities(text: str, entities: list[Any]) -> list[JSONDict]:
    size = utf16_len(text)
    checked: list[JSONDict] = []
    for entity in entities:
        if not (
            isinstance(entity, dict)
            and isinstance(entity.get("type"), str)
            and isinstance(entity.get("offset"), int)
            and isinstance(entity.get("length"), int)
            and entity["offset"] >= 0
            and entity["length"] > 0
            and entity["offset"] + entity["length"] <= size
        ):
            raise ApiError(400, f"Bad Request: can't parse entities: invalid entity {entity!r}")
        checked.append(dict(entity))
    return _sorted(checked)


def render_text(
    text: Any,
    parse_mode: Any = None,
    entities: Any = None,
    *,
    limit: int = MAX_MESSAGE_UTF16,
) -> tuple[str, list[JSONDict]]:
    """Turn a text parameter into (plain text, entities) like Telegram, or raise ApiError."""
    if text is None or text == "":
        raise ApiError(400, "Bad Request: message text is empty")
    if not isinstance(text, str):
        text = json.dumps(text, ensure_ascii=False)
    if isinstance(entities, list) and entities:
        plain, found = text, _check_entities(text, entities)
    else:
        mode = parse_mode.lower() if isinstance(parse_mode, str) else ""
        parsers: dict[str, Callable[[str], tuple[str, list[JSONDict]]]] = {
            "html": parse_html,
            "markdownv2": parse_markdown_v2,
            "markdown": parse_markdown,
        }
        if mode and mode not in parsers:
            raise ApiError(400, "Bad Request: unsupported parse_mode")
        try:
            plain, found = parsers[mode](text) if mode else (text, [])
        except EntityParseError as exc:
            raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
    plain, found = _trim(plain, found)
    if not plain:
        raise ApiError(400, "Bad Request: message text is empty")
    if utf16_len(plain) > limit:
        raise ApiError(400, "Bad Request: message is too long")
    if len(found) > MAX_ENTITIES:
        raise ApiError(400, "Bad Request: too many entities")
    return plain, found


# --------------------------------------------------------------------------- keyboards


def _validate_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise ApiError(400, CANT_PARSE_BUTTON + "InlineKeyboardButton must be an Object")
    text = button.get("text")
    if not isinstance(text, str):
        raise ApiError(400, CANT_PARSE_BUTTON + 'Field "text" must be of type String')
    if not text.strip():
        raise ApiError(400, "Bad Request: BUTTON_TEXT_INVALID")
    actions = [name for name in _BUTTON_ACTIONS if button.get(name) is not None]
    if not actions:
        raise ApiError(400, CANT_PARSE_BUTTON + "Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise ApiError(
            400, CANT_PARSE_BUTTON + f"exactly one optional field must be used, got {actions}"
        )
    if "callback_data" in actions:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES:
            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    if "url" in actions:
        url = button["url"]
        if not isinstance(url, str) or not url.lower().startswith(("http://", "https://", "tg://")):
            raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")


def validate_reply_markup(raw: Any) -> JSONDict | None:
    """Check a reply_markup like Telegram; return it decoded (None if absent)."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise ApiError(400, CANT_PARSE_MARKUP) from None
    if not isinstance(raw, dict):
        raise ApiError(400, CANT_PARSE_MARKUP)
    if "inline_keyboard" in raw:
        rows = raw["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise ApiError(
                400,
                'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup '
                "should be an Array of Arrays",
            )
        if sum(len(row) for row in rows) > MAX_BUTTONS:
            raise ApiError(400, "Bad Request: reply markup is too long")
        for row in rows:
            if len(row) > MAX_BUTTONS_PER_ROW:
                raise ApiError(400, "Bad Request: too many buttons in a row")
            for button in row:
                _validate_button(button)
        return raw
    if "keyboard" in raw:
        rows = raw["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise ApiError(
                400,
                'Bad Request: field "keyboard" of the ReplyKeyboardMarkup '
                "should be an Array of Arrays",
            )
        for row in rows:
            for button in row:
                label = button.get("text") if isinstance(button, dict) else button
                if not isinstance(label, str) or not label.strip():
                    raise ApiError(
                        400, "Bad Request: can't parse keyboard button: BUTTON_TEXT_INVALID"
                    )
        return raw
    if raw.get("remove_keyboard") is True or raw.get("force_reply") is True:
        return raw
    raise ApiError(400, CANT_PARSE_MARKUP)


def _inline_keyboard(markup: JSONDict | None) -> JSONDict | None:
    """The markup as it sits on a message: inline keyboards only, None values dropped."""
    if not markup or not isinstance(markup.get("inline_keyboard"), list):
        return None
    rows = [
        [{key: value for key, value in button.items() if value is not None} for button in row]
        for row in markup["inline_keyboard"]
    ]
    rows = [row for row in rows if row]
    return {"inline_keyboard": rows} if rows else None


# --------------------------------------------------------------------------- request parsing


def _decode_field(name: str, value: str) -> Any:
    if name in _RAW_STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


async def _read_params(request: web.Request) -> JSONDict:
    params: JSONDict = {key: _decode_field(key, value) for key, value in request.query.items()}
    if not request.can_read_body:
        return params
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise ApiError(400, "Bad Request: can't parse JSON object") from None
        if not isinstance(body, dict):
            raise ApiError(400, "Bad Request: JSON object expected")
        for key, value in body.items():
            if isinstance(value, str) and value.startswith(("[", "{")):
                value = _decode_field(key, value)
            params[key] = value
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                content = value.file.read()
                params[key] = {
                    "file_name": value.filename,
                    "content_type": value.content_type,
                    "size": len(content),
                }
            elif isinstance(value, bytes | bytearray):
                params[key] = _decode_field(key, value.decode("utf-8", "replace"))
            else:
                params[key] = _decode_field(key, value)
    return params


def _as_int(value: Any, description: str) -> int:
    if isinstance(value, bool):
        raise ApiError(400, f"Bad Request: {description}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise ApiError(400, f"Bad Request: {description}")


def _now() -> int:
    return int(time.time())


def _update_type(update: JSONDict) -> str:
    return next((key for key in update if key != "update_id"), "")


# --------------------------------------------------------------------------- flood control

FloodKey = int | str | None


def _flood_key(params: JSONDict) -> FloodKey:
    """The chat a message call goes to: its chat id, or the inline message it edits."""
    raw = params.get("chat_id")
    if raw is None or raw == "":
        inline_id = params.get("inline_message_id")
        return f"inline:{inline_id}" if inline_id else None
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    try:
        return int(str(raw))
    except ValueError:
        return str(raw)  # an @username


def _is_group_key(key: FloodKey) -> bool:
    return (isinstance(key, int) and key < 0) or (isinstance(key, str) and key.startswith("@"))


class _Window:
    """Times of the calls accepted in the last ``seconds``; at most ``limit`` of them."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self.times: deque[float] = deque()

    def wait(self, now: float) -> float:
        """0 if one more call fits now, else the seconds until the oldest one leaves."""
        while self.times and self.times[0] <= now - self.seconds:
            self.times.popleft()
        if len(self.times) < self.limit:
            return 0.0
        return self.times[0] + self.seconds - now


class _FloodControl:
    """Sliding windows of accepted message calls, overall and per group chat.

    A call over a limit gets 429 with ``retry_after`` = whole seconds until the window has
    room (at least 1); until then every message call to that chat gets 429 again, with the
    seconds left, as Telegram does during a flood wait.
    """

    def __init__(self, per_second: int | None, per_group: tuple[int, float] | None) -> None:
        self.overall = _Window(per_second, 1.0) if per_second else None
        self.per_group = per_group
        self.groups: dict[FloodKey, _Window] = {}
        self.chat_deadlines: dict[FloodKey, float] = {}
        self.request_deadlines: dict[tuple[str, str], float] = {}

    @staticmethod
    def request_id(call: Call) -> tuple[str, str]:
        return call.method, json.dumps(call.params, sort_keys=True, default=str)

    def windows(self, key: FloodKey) -> list[_Window]:
        found = [self.overall] if self.overall is not None else []
        if self.per_group is not None and _is_group_key(key):
            window = self.groups.get(key)
            if window is None:
                window = self.groups[key] = _Window(*self.per_group)
            found.append(window)
        return found

    def is_early_retry(self, call: Call) -> bool:
        """The same request again before the retry_after it was given has passed."""
        request = self.request_id(call)
        deadline = self.request_deadlines.get(request)
        if deadline is None:
            return False
        if call.at >= deadline:
            del self.request_deadlines[request]
            return False
        return True

    def admit(self, call: Call, key: FloodKey) -> int | None:
        """Count the call and return None, or return the retry_after of its 429."""
        now = call.at
        deadline = self.chat_deadlines.get(key)
        if deadline is not None and now < deadline:
            wait = deadline - now
        else:
            self.chat_deadlines.pop(key, None)
            windows = self.windows(key)
            wait = max((window.wait(now) for window in windows), default=0.0)
            if wait <= 0:
                for window in windows:
                    window.times.append(now)
                return None
        retry_after = max(1, math.ceil(wait))
        self.chat_deadlines[key] = max(self.chat_deadlines.get(key, 0.0), now + retry_after)
        self.request_deadlines[self.request_id(call)] = now + retry_after
        return retry_after

    def release(self, call: Call, key: FloodKey) -> None:
        """Uncount an admitted call that failed anyway (it sent nothing)."""
        for window in self.windows(key):
            with contextlib.suppress(ValueError):
                window.times.remove(call.at)


# --------------------------------------------------------------------------- the server


class FakeTelegram:
    """A local Bot API server that validates like Telegram and records what the bot did."""

    def __init__(
        self, token: str = "123456:TEST-token", bot_username: str = "complaint_test_bot"
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        prefix = token.split(":", 1)[0]
        self.bot_id = int(prefix) if prefix.isdigit() else 123456
        self.bot_first_name = "Complaint Test Bot"
        self.callback_ttl = 15.0  # Telegram stops accepting answers after about 15 s
        self.inline_ttl = 15.0

        self.calls: list[Call] = []
        self.rejected: list[Call] = []
        self.updates: list[JSONDict] = []  # every update ever queued
        self.dropped_updates: list[JSONDict] = []  # filtered by allowed_updates or dropped
        self.unanswered_callbacks: set[str] = set()
        self.callback_answers: dict[str, JSONDict] = {}
        self.inline_answers: dict[str, list[JSONDict]] = {}
        self.inline_edits: dict[str, BotMessage] = {}
        self.my_commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.descriptions: dict[str, str] = {}
        self.short_descriptions: dict[str, str] = {}
        self.menu_buttons: dict[int | None, JSONDict] = {}
        self.webhook: JSONDict = {"url": "", "secret_token": None}
        self.allowed_updates: list[str] | None = None

        self._pending: list[JSONDict] = []
        self._next_update_id = 1
        self._confirmed_offset = 0
        self._chats: dict[int, JSONDict] = {}
        self._seen_users: set[int] = set()
        self._blocked: set[int] = set()
        self._message_ids: dict[int, int] = {}
        self._messages: dict[tuple[int, int], JSONDict] = {}
        self._bot_messages: dict[tuple[int, int], BotMessage] = {}
        self._callback_times: dict[str, float] = {}
        self._inline_times: dict[str, float] = {}
        self._query_counter = 0
        self._file_counter = 0
        self._faults: dict[str, list[_Fault]] = {}
        self._hangs: set[str] = set()
        self._raw: dict[str, list[tuple[int, str]]] = {}
        #: Ways for a bot in this process to say it still has updates in hand (accepted, and
        #: so confirmed, but not finished): wait_processed waits for them too.
        self.busy_checks: list[Callable[[], bool]] = []
        self.hung_calls: list[Call] = []  # calls held by hang_next, as they arrived
        self._flood: _FloodControl | None = None
        #: Message calls answered 429 by the flood control of ``enforce_flood_limits``
        #: (not rejections: a well-behaved bot gets some and sends again after retry_after).
        self.flood_rejections: list[Call] = []
        #: Requests repeated before the retry_after of their 429 had passed.
        self.early_retries: list[Call] = []
        self._stopped = asyncio.Event()
        self._inflight = 0
        self._last_activity = time.monotonic()
        self._poll_generation = 0
        self._waiting_polls = 0
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None
        self._methods: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "logOut": self._true,
                "close": self._true,
                "getUpdates": self._get_updates,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "sendMessage": self._send_message,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "deleteMessage": self._delete_message,
                "deleteMessages": self._delete_messages,
                "sendChatAction": self._send_chat_action,
                "answerCallbackQuery": self._answer_callback_query,
                "answerInlineQuery": self._answer_inline_query,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "setMyDescription": self._set_my_description,
                "getMyDescription": self._get_my_description,
                "setMyShortDescription": self._set_my_short_description,
                "getMyShortDescription": self._get_my_short_description,
                "setChatMenuButton": self._set_chat_menu_button,
                "getChatMenuButton": self._get_chat_menu_button,
            }.items()
        }

    # ----------------------------------------------------------------------- lifecycle

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/bot``; PTB appends the token."""
        if self._base_url is None:
            raise RuntimeError("FakeTelegram.start() has not been awaited")
        return self._base_url

    @property
    def bot_user(self) -> JSONDict:
        """The bot as a User object."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    async def start(self) -> None:
        """Listen on 127.0.0.1 with an OS-chosen port."""
        if self._runner is not None:
            return
        self._stopping = False
        self._wakeup = asyncio.Event()
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        self._runner = runner
        self._base_url = f"http://127.0.0.1:{port}/bot"

    async def stop(self) -> None:
        """Stop serving; pending long polls end with an empty result."""
        self._stopping = True
        self._stopped.set()
        self._wakeup.set()
        runner, self._runner = self._runner, None
        if runner is not None:
            await asyncio.sleep(0)  # let woken long polls answer before shutdown
            await runner.cleanup()

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ----------------------------------------------------------------------- making updates

    def make_user(
        self,
        user_id: int,
        first_name: str = "Аня",
        language_code: str | None = "ru",
        username: str | None = None,
    ) -> JSONDict:
        """A User object (no update is queued)."""
        user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username is not None:
            user["username"] = username
        if language_code is not None:
            user["language_code"] = language_code
        return user

    def private_chat(self, user: JSONDict) -> JSONDict:
        """The private Chat object of ``user``."""
        chat: JSONDict = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        for key in ("last_name", "username"):
            if key in user:
                chat[key] = user[key]
        return chat

    def send_text(
        self,
        user: JSONDict,
        text: str,
        chat: JSONDict | None = None,
        *,
        reply_to: int | None = None,
    ) -> JSONDict:
        """Queue a text message from ``user``; return the Message."""
        return self._user_message(user, chat, {"text": text}, reply_to=reply_to)

    def send_command(self, user: JSONDict, command: str, chat: JSONDict | None = None) -> JSONDict:
        """Queue a command such as ``/start complaint`` with its bot_command entity."""
        if not command.startswith("/"):
            raise ValueError(f"a command starts with '/': {command!r}")
        name = command.split(maxsplit=1)[0]
        entity = {"type": "bot_command", "offset": 0, "length": utf16_len(name)}
        return self._user_message(user, chat, {"text": command, "entities": [entity]})

    def send_sticker(self, user: JSONDict, chat: JSONDict | None = None) -> JSONDict:
        """Queue a sticker message."""
        sticker = {
            **self._file("sticker"),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        }
        return self._user_message(user, chat, {"sticker": sticker})

    def send_photo(
        self, user: JSONDict, chat: JSONDict | None = None, caption: str | None = None
    ) -> JSONDict:
        """Queue a photo message, optionally with a caption."""
        sizes = [
            {**self._file("photo"), "width": width, "height": width * 3 // 4, "file_size": size}
            for width, size in ((90, 1_500), (320, 20_000), (1280, 150_000))
        ]
        content: JSONDict = {"photo": sizes}
        if caption is not None:
            content["caption"] = caption
        return self._user_message(user, chat, content)

    def send_voice(self, user: JSONDict, chat: JSONDict | None = None) -> JSONDict:
        """Queue a voice message."""
        voice = {**self._file("voice"), "duration": 3, "mime_type": "audio/ogg", "file_size": 9_000}
        return self._user_message(user, chat, {"voice": voice})

    def send_edited_text(self, user: JSONDict, message: JSONDict, text: str) -> JSONDict:
        """Queue an edited_message update for a message the user sent earlier."""
        edited = {**copy.deepcopy(message), "text": text, "edit_date": _now()}
        edited.pop("entities", None)
        self._messages[(edited["chat"]["id"], edited["message_id"])] = edited
        self._queue({"edited_message": edited})
        return edited

    def press(
        self, user: JSONDict, message_id: int, callback_data: str, chat_id: int | None = None
    ) -> str:
        """Queue a callback query on a bot message; return the query id."""
        cid = user["id"] if chat_id is None else chat_id
        message = self._messages.get((cid, message_id))
        if message is None:
            chat = self._chats.get(cid) or (
                self.private_chat(user) if cid == user["id"] else {"id": cid, "type": "supergroup"}
            )
            message = {
                "message_id": message_id,
                "date": _now(),
                "chat": chat,
                "from": self.bot_user,
            }
        query_id = self._new_query_id()
        query = {
            "id": query_id,
            "from": dict(user),
            "chat_instance": str(6_000_000_000 + abs(cid)),
            "data": callback_data,
            "message": copy.deepcopy(message),
        }
        self._note_chat(message["chat"], user)
        self.unanswered_callbacks.add(query_id)
        self._callback_times[query_id] = time.monotonic()
        self._queue({"callback_query": query})
        return query_id

    def press_button(self, user: JSONDict, message: BotMessage, label_contains: str) -> str:
        """Press the one button of ``message``'s current keyboard whose text contains the label."""
        current = self._bot_messages.get((message.chat_id, message.message_id))
        if current is None:
            raise AssertionError(
                f"message {message.message_id} in chat {message.chat_id} no longer exists"
            )
        labels = current.button_labels()
        found = [
            button
            for row in current.buttons()
            for button in row
            if label_contains in str(button.get("text", ""))
        ]
        if len(found) != 1:
            what = "no button" if not found else f"{len(found)} buttons"
            raise AssertionError(f"{what} containing {label_contains!r}; labels: {labels}")
        data = found[0].get("callback_data")
        if data is None:
            raise AssertionError(f"button {found[0]!r} is not a callback button")
        return self.press(user, current.message_id, str(data), chat_id=current.chat_id)

    def send_inline_query(
        self, user: JSONDict, query: str, chat_type: str | None = "private"
    ) -> str:
        """Queue an inline query; return its id."""
        query_id = self._new_query_id()
        inline: JSONDict = {"id": query_id, "from": dict(user), "query": query, "offset": ""}
        if chat_type is not None:
            inline["chat_type"] = chat_type
        self._seen_users.add(user["id"])
        self._inline_times[query_id] = time.monotonic()
        self._queue({"inline_query": inline})
        return query_id

    def add_bot_to_group(self, by_user: JSONDict, chat: JSONDict) -> JSONDict:
        """Queue my_chat_member and a new_chat_members message; return the message."""
        self._note_chat(chat, by_user)
        self._queue(
            {
                "my_chat_member": {
                    "chat": copy.deepcopy(chat),
                    "from": dict(by_user),
                    "date": _now(),
                    "old_chat_member": {"user": self.bot_user, "status": "left"},
                    "new_chat_member": {"user": self.bot_user, "status": "member"},
                }
            }
        )
        return self._user_message(by_user, chat, {"new_chat_members": [self.bot_user]})

    def block_bot(self, user: JSONDict, *, notify: bool = True) -> JSONDict | None:
        """The user blocks the bot: later sends get 403.

        Telegram tells the bot with a my_chat_member update (returned); ``notify=False`` is
        the bot not hearing of it (the update lost, or the block between a press and the
        reply): it learns from the 403.
        """
        self._blocked.add(user["id"])
        if not notify:
            return None
        return self._queue(
            {
                "my_chat_member": {
                    "chat": self.private_chat(user),
                    "from": dict(user),
                    "date": _now(),
                    "old_chat_member": {"user": self.bot_user, "status": "member"},
                    "new_chat_member": {
                        "user": self.bot_user,
                        "status": "kicked",
                        "until_date": 0,
                    },
                }
            }
        )

    # ----------------------------------------------------------------------- observing

    def bot_messages(self, chat_id: int) -> list[BotMessage]:
        """Messages the bot sent in the chat, current state, deleted ones left out."""
        return [
            message for (cid, _), message in sorted(self._bot_messages.items()) if cid == chat_id
        ]

    def last_bot_message(self, chat_id: int) -> BotMessage:
        """The newest message the bot has in the chat."""
        messages = self.bot_messages(chat_id)
        if not messages:
            raise AssertionError(self._report(f"the bot has no messages in chat {chat_id}"))
        return messages[-1]

    @property
    def confirmed_offset(self) -> int:
        """The highest offset the bot has confirmed: updates below it are done."""
        return self._confirmed_offset

    @property
    def waiting_polls(self) -> int:
        """getUpdates requests now waiting in a long poll."""
        return self._waiting_polls

    def calls_of(self, method: str) -> list[Call]:
        """Calls of one method (case-insensitive)."""
        return [call for call in self.calls if call.method.lower() == method.lower()]

    def commands(self, scope: JSONDict | None = None, language_code: str = "") -> list[JSONDict]:
        """Commands set for a scope and language."""
        return list(self.my_commands.get(self._commands_key(scope, language_code), []))

    # The test-facing API takes ``timeout`` on purpose: it is the readable spelling in tests.
    async def wait_for(
        self,
        predicate: Callable[[], bool],
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> None:
        """Poll ``predicate`` every 10 ms; AssertionError with recent calls on timeout."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                raise AssertionError(self._report(f"condition not met within {timeout} s"))
            await asyncio.sleep(0.01)

    async def wait_processed(
        self,
        timeout: float = 10.0,  # noqa: ASYNC109
        *,
        settle: float = 0.05,
    ) -> None:
        """Wait until all updates are confirmed, callbacks answered and the bot is quiet.

        "Quiet" means no call in flight and none for ``settle`` seconds: PTB confirms an update
        with its next getUpdates before the handler has run, so confirmation alone is not enough.
        """
        deadline = time.monotonic() + timeout
        stable_since: float | None = None
        while True:
            now = time.monotonic()
            busy = any(check() for check in self.busy_checks)
            if self._pending or self.unanswered_callbacks or self._inflight or busy:
                stable_since = None
            else:
                if stable_since is None:
                    stable_since = now
                if now - max(stable_since, self._last_activity) >= settle:
                    return
            if now >= deadline:
                raise AssertionError(
                    self._report(f"the bot did not finish processing within {timeout} s")
                )
            await asyncio.sleep(0.01)

    def assert_clean(self) -> None:
        """Fail if Telegram would have rejected a call or a callback query is unanswered."""
        problems: list[str] = []
        if self.rejected:
            problems.append("rejected calls:")
            problems.extend(f"  {call}" for call in self.rejected)
        if self.unanswered_callbacks:
            problems.append(f"unanswered callback queries: {sorted(self.unanswered_callbacks)}")
        if problems:
            raise AssertionError("\n".join(problems))

    # ----------------------------------------------------------------------- fault injection

    def fail_next(
        self,
        method: str,
        status: int,
        description: str,
        *,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with this error."""
        self._faults.setdefault(method.lower(), []).append(
            _Fault(status, description, retry_after, times)
        )

    def enforce_flood_limits(
        self,
        per_second: int | None = 30,
        per_group: tuple[int, float] | None = (20, 60.0),
    ) -> None:
        """Answer message calls over Telegram's limits with 429, as Telegram does.

        Off until called. Counted are the methods in ``FLOOD_LIMITED_METHODS`` that were
        accepted: at most ``per_second`` in any 1-second window overall, and at most
        ``per_group[0]`` in any ``per_group[1]``-second window to one group or supergroup
        (a negative chat id). ``None`` turns a limit off. A call over a limit gets
        ``429 Too Many Requests: retry after N`` with ``parameters.retry_after`` = N, the
        whole seconds until the window has room (at least 1), and until then every message
        call to that chat gets 429 again with the seconds left. Such calls go to
        ``flood_rejections``, not to ``rejected``; a request repeated before its N seconds
        have passed also goes to ``early_retries``. Tests may shrink the group window (say
        ``(20, 6.0)``, see tests/test_load.py) to get the shape of "20 a minute" in seconds.
        """
        if per_second is not None and per_second < 1:
            raise ValueError(f"per_second must be at least 1: {per_second!r}")
        if per_group is not None and (per_group[0] < 1 or per_group[1] <= 0):
            raise ValueError(f"per_group must be (count >= 1, seconds > 0): {per_group!r}")
        self._flood = _FloodControl(per_second, per_group)

    def flood_peak(self, seconds: float = 1.0, chat_id: int | None = None) -> int:
        """The most accepted message calls in any ``seconds``-long window (half-open, as the
        flood control counts), overall or to ``chat_id`` only."""
        times = sorted(
            call.at
            for call in self.calls
            if call.ok
            and call.method.lower() in _FLOOD_LIMITED_LOWER
            and (chat_id is None or _flood_key(call.params) == chat_id)
        )
        peak, first = 0, 0
        for last, at in enumerate(times):
            while times[first] <= at - seconds:
                first += 1
            peak = max(peak, last - first + 1)
        return peak

    def answer_next_raw(self, method: str, status: int, text: str) -> None:
        """Answer the next call of ``method`` with this body, not JSON (a proxy's error page)."""
        self._raw.setdefault(method.lower(), []).append((status, text))

    def hang_next(self, method: str) -> None:
        """The next call of ``method`` never answers (until the server stops).

        For crashes in the middle of a call: the bot waits on it while the test kills it.
        """
        self._hangs.add(method.lower())

    # ----------------------------------------------------------------------- internals

    def _report(self, headline: str) -> str:
        interesting = [
            call
            for call in self.calls
            if not (call.method == "getUpdates" and call.ok and not call.result)
        ]
        lines = [headline]
        if self._pending:
            pending = [f"{u['update_id']}:{_update_type(u)}" for u in self._pending]
            lines.append(f"unconfirmed updates: {pending}")
        if self.unanswered_callbacks:
            lines.append(f"unanswered callback queries: {sorted(self.unanswered_callbacks)}")
        if self._inflight:
            lines.append(f"calls in flight: {self._inflight}")
        lines.append(f"last {min(15, len(interesting))} calls (empty getUpdates left out):")
        lines.extend(f"  {call}" for call in interesting[-15:])
        return "\n".join(lines)

    def _new_query_id(self) -> str:
        self._query_counter += 1
        return str(4_611_686_018_427_387_904 + self._query_counter * 7919)

    def _file(self, kind: str) -> JSONDict:
        self._file_counter += 1
        return {
            "file_id": f"fake-{kind}-{self._file_counter}",
            "file_unique_id": f"u{kind}{self._file_counter}",
        }

    def _next_message_id(self, chat_id: int) -> int:
        self._message_ids[chat_id] = self._message_ids.get(chat_id, 0) + 1
        return self._message_ids[chat_id]

    def _note_chat(self, chat: JSONDict, user: JSONDict | None) -> None:
        cid = int(chat["id"])
        self._chats[cid] = {**self._chats.get(cid, {}), **copy.deepcopy(chat)}
        if user is not None:
            self._seen_users.add(int(user["id"]))
        if chat.get("type") == "private":
            self._blocked.discard(cid)  # a user writing to the bot has unblocked it

    def _user_message(
        self,
        user: JSONDict,
        chat: JSONDict | None,
        content: JSONDict,
        *,
        reply_to: int | None = None,
    ) -> JSONDict:
        chat = copy.deepcopy(chat) if chat is not None else self.private_chat(user)
        if "type" not in chat:
            raise ValueError(f"a chat needs a type: {chat!r}")
        cid = int(chat["id"])
        message: JSONDict = {
            "message_id": self._next_message_id(cid),
            "date": _now(),
            "chat": chat,
            "from": dict(user),
            **content,
        }
        if reply_to is not None:
            target = self._messages.get((cid, reply_to))
            if target is None:
                raise ValueError(f"no message {reply_to} in chat {cid} to reply to")
            message["reply_to_message"] = {
                k: v for k, v in target.items() if k != "reply_to_message"
            }
        self._note_chat(chat, user)
        self._messages[(cid, message["message_id"])] = message
        self._queue({"message": message})
        return message

    def _queue(self, body: JSONDict) -> JSONDict:
        update = {"update_id": self._next_update_id, **copy.deepcopy(body)}
        self._next_update_id += 1
        self.updates.append(update)
        self._pending.append(update)
        self._wakeup.set()
        return update

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
            self._confirmed_offset = max(self._confirmed_offset, offset)
        elif offset < 0:
            keep = self._pending[offset:]
            self.dropped_updates.extend(u for u in self._pending if u not in keep)
            self._pending = keep

    def _deliverable(self, limit: int) -> list[JSONDict]:
        allowed = set(self.allowed_updates) if self.allowed_updates else DEFAULT_ALLOWED_UPDATES
        kept: list[JSONDict] = []
        for update in self._pending:
            if _update_type(update) in allowed:
                kept.append(update)
            else:
                self.dropped_updates.append(update)
        self._pending = kept
        return [copy.deepcopy(update) for update in kept[:limit]]

    def _take_fault(self, method: str) -> ApiError | None:
        faults = self._faults.get(method.lower())
        if not faults:
            return None
        fault = faults[0]
        fault.times -= 1
        if fault.times <= 0:
            faults.pop(0)
        parameters = {"retry_after": fault.retry_after} if fault.retry_after is not None else None
        return ApiError(fault.status, fault.description, validation=False, parameters=parameters)

    def _check_flood(self, call: Call, key: FloodKey) -> None:
        """Count a message call, or raise the 429 of flood control."""
        flood = self._flood
        assert flood is not None
        if flood.is_early_retry(call):
            self.early_retries.append(call)
        retry_after = flood.admit(call, key)
        if retry_after is not None:
            self.flood_rejections.append(call)
            raise ApiError(
                429,
                f"Too Many Requests: retry after {retry_after}",
                validation=False,
                parameters={"retry_after": retry_after},
            )

    def _touch(self) -> None:
        self._last_activity = time.monotonic()

    @staticmethod
    def _json(status: int, body: JSONDict) -> web.Response:
        return web.Response(
            status=status,
            text=json.dumps(body, ensure_ascii=False),
            content_type="application/json",
        )

    async def _handle(self, request: web.Request) -> web.Response:
        tail = request.match_info.get("tail", "")
        if not tail.startswith("bot") or "/" not in tail:
            return self._json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        token, _, raw_method = tail[3:].partition("/")
        entry = self._methods.get(raw_method.lower())
        method = entry[0] if entry is not None else raw_method
        polling = method == "getUpdates"
        call = Call(method, {})
        self._touch()
        if not polling:
            self._inflight += 1
        flood_key: FloodKey = None
        flood_counted = False
        try:
            call.params = await _read_params(request)
            call.at = time.monotonic()
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            raw = self._raw.get(method.lower())
            if raw:
                status, text = raw.pop(0)
                call.ok, call.status, call.error = False, status, f"raw answer: {text[:40]}"
                self.calls.append(call)
                return web.Response(status=status, text=text, content_type="text/html")
            fault = self._take_fault(method)
            if fault is not None:
                raise fault
            if method.lower() in self._hangs:
                self._hangs.discard(method.lower())
                if not polling:  # a hung call must not keep wait_processed waiting
                    self._inflight -= 1  # (a poll is not counted in the first place)
                self.hung_calls.append(call)
                try:
                    await self._stopped.wait()
                finally:
                    if not polling:
                        self._inflight += 1
                raise ApiError(502, "Bad Gateway", validation=False)
            if entry is None:
                raise ApiError(404, "Not Found: method not found")
            unknown = sorted(set(call.params) - BOT_API_PARAMS[method])
            if unknown:
                raise ApiError(400, f"Bad Request: {method} has no parameter {unknown[0]}")
            if self._flood is not None and method.lower() in _FLOOD_LIMITED_LOWER:
                flood_key = _flood_key(call.params)
                self._check_flood(call, flood_key)
                flood_counted = True
            result = await entry[1](call.params)
        except ApiError as exc:
            if flood_counted and self._flood is not None:
                self._flood.release(call, flood_key)
            call.ok, call.error, call.status = False, exc.description, exc.status
            body: JSONDict = {"ok": False, "error_code": exc.status, "description": exc.description}
            if exc.parameters:
                body["parameters"] = exc.parameters
            self.calls.append(call)
            if exc.validation:
                self.rejected.append(call)
            return self._json(exc.status, body)
        except ConnectionResetError:
            # The client hung up mid-request (the bot cancels its long poll when it stops):
            # nobody is there to answer, and Telegram would not call that a rejection.
            raise
        except Exception as exc:  # a bug in the fake must fail the test loudly
            description = f"Internal Server Error: fake_telegram crashed: {exc!r}"
            call.ok, call.error, call.status = False, description, 500
            self.calls.append(call)
            self.rejected.append(call)
            return self._json(500, {"ok": False, "error_code": 500, "description": description})
        finally:
            if not polling:
                self._inflight -= 1
                self._touch()
        call.result = result
        self.calls.append(call)
        return self._json(200, {"ok": True, "result": result})

    # ----------------------------------------------------------------------- validation helpers

    def _chat(self, params: JSONDict, *, required: bool = True) -> JSONDict | None:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            if not required:
                return None
            raise ApiError(400, "Bad Request: chat_id is empty")
        chat_id: int | None = None
        if isinstance(raw, str) and raw.startswith("@"):
            chat_id = next(
                (
                    cid
                    for cid, chat in self._chats.items()
                    if chat.get("type") != "private" and chat.get("username") == raw[1:]
                ),
                None,
            )
        elif isinstance(raw, int) and not isinstance(raw, bool):
            chat_id = raw
        elif isinstance(raw, str):
            try:
                chat_id = int(raw)
            except ValueError:
                chat_id = None
        if chat_id is None or chat_id not in self._chats:
            if chat_id is not None and chat_id in self._seen_users:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user", validation=False)
        return self._chats[chat_id]

    def _reply_target(self, params: JSONDict, chat_id: int) -> int | None:
        reply = params.get("reply_parameters")
        allow_missing = bool(params.get("allow_sending_without_reply"))
        target: Any = None
        if isinstance(reply, dict):
            target = reply.get("message_id")
            allow_missing = allow_missing or bool(reply.get("allow_sending_without_reply"))
        elif reply is not None:
            raise ApiError(400, "Bad Request: can't parse reply parameters JSON object")
        elif params.get("reply_to_message_id") is not None:
            target = params["reply_to_message_id"]
        if target is None:
            return None
        message_id = _as_int(target, "invalid reply message identifier specified")
        if (chat_id, message_id) not in self._messages:
            if allow_missing:
                return None
            raise ApiError(400, "Bad Request: message to be replied not found")
        return message_id

    def _edit_target(self, params: JSONDict) -> BotMessage:
        chat = self._chat(params)
        assert chat is not None
        if params.get("message_id") is None:
            raise ApiError(400, "Bad Request: message identifier is not specified")
        message_id = _as_int(params["message_id"], "message identifier is not specified")
        key = (int(chat["id"]), message_id)
        current = self._bot_messages.get(key)
        if current is None:
            if key in self._messages:
                raise ApiError(400, "Bad Request: message can't be edited")
            raise ApiError(400, "Bad Request: message to edit not found")
        return current

    @staticmethod
    def _edit_markup(params: JSONDict) -> JSONDict | None:
        markup = validate_reply_markup(params.get("reply_markup"))
        if markup is not None and "inline_keyboard" not in markup:
            raise ApiError(400, "Bad Request: inline keyboard expected")
        return markup

    def _store_edit(self, current: BotMessage) -> JSONDict:
        current.edits += 1
        message = self._messages[(current.chat_id, current.message_id)]
        message["text"] = current.text
        message["edit_date"] = _now()
        if current.entities:
            message["entities"] = copy.deepcopy(current.entities)
        else:
            message.pop("entities", None)
        inline = _inline_keyboard(current.reply_markup)
        if inline is not None:
            message["reply_markup"] = inline
        else:
            message.pop("reply_markup", None)
        return copy.deepcopy(message)

    @staticmethod
    def _commands_key(scope: Any, language_code: Any) -> tuple[str, str]:
        scope = scope if isinstance(scope, dict) else {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(language_code or "")

    def _scope(self, params: JSONDict) -> JSONDict | None:
        scope = params.get("scope")
        if scope is None:
            return None
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPE_TYPES:
            raise ApiError(400, "Bad Request: can't parse BotCommandScope JSON object")
        if scope["type"] in ("chat", "chat_administrators", "chat_member"):
            self._chat(scope)
        return scope

    # ----------------------------------------------------------------------- methods

    async def _true(self, params: JSONDict) -> bool:
        return True

    async def _get_me(self, params: JSONDict) -> JSONDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }

    async def _get_updates(self, params: JSONDict) -> list[JSONDict]:
        if self.webhook["url"]:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = _as_int(params.get("offset", 0), "invalid offset specified")
        limit = min(max(_as_int(params.get("limit", 100), "invalid limit specified"), 1), 100)
        timeout_raw = params.get("timeout", 0)
        try:
            timeout = min(max(float(timeout_raw), 0.0), MAX_POLL_SECONDS)
        except (TypeError, ValueError):
            raise ApiError(400, "Bad Request: invalid timeout specified") from None
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self.allowed_updates = [str(kind) for kind in allowed] or None
        self._confirm(offset)
        # A newer getUpdates ends an older pending one, as on Telegram.
        self._poll_generation += 1
        generation = self._poll_generation
        self._wakeup.set()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                    validation=False,
                )
            if self._stopping:
                return []
            batch = self._deliverable(limit)
            remaining = deadline - loop.time()
            if batch or remaining <= 0:
                return batch
            self._wakeup.clear()
            self._waiting_polls += 1
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), remaining)
            finally:
                self._waiting_polls -= 1

    async def _set_webhook(self, params: JSONDict) -> bool:
        url = params.get("url") or ""
        if not isinstance(url, str) or (url and not url.lower().startswith("https://")):
            raise ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN_RE.fullmatch(str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._drop_pending()
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self.allowed_updates = [str(kind) for kind in allowed] or None
        self.webhook = {"url": url, "secret_token": secret}
        return True

    def _drop_pending(self) -> None:
        self.dropped_updates.extend(self._pending)
        self._pending = []

    async def _delete_webhook(self, params: JSONDict) -> bool:
        if params.get("drop_pending_updates"):
            self._drop_pending()
        self.webhook = {"url": "", "secret_token": None}
        return True

    async def _get_webhook_info(self, params: JSONDict) -> JSONDict:
        info: JSONDict = {
            "url": self.webhook["url"],
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.allowed_updates:
            info["allowed_updates"] = list(self.allowed_updates)
        return info

    async def _send_message(self, params: JSONDict) -> JSONDict:
        chat = self._chat(params)
        assert chat is not None
        chat_id = int(chat["id"])
        markup = validate_reply_markup(params.get("reply_markup"))
        text, entities = render_text(
            params.get("text"), params.get("parse_mode"), params.get("entities")
        )
        reply_to = self._reply_target(params, chat_id)
        message_id = self._next_message_id(chat_id)
        message: JSONDict = {
            "message_id": message_id,
            "from": self.bot_user,
            "chat": copy.deepcopy(chat),
            "date": _now(),
            "text": text,
        }
        if entities:
            message["entities"] = copy.deepcopy(entities)
        if reply_to is not None:
            target = self._messages[(chat_id, reply_to)]
            message["reply_to_message"] = {
                k: v for k, v in target.items() if k != "reply_to_message"
            }
        inline = _inline_keyboard(markup)
        if inline is not None:
            message["reply_markup"] = inline
        self._messages[(chat_id, message_id)] = message
        raw_text = params.get("text")
        self._bot_messages[(chat_id, message_id)] = BotMessage(
            message_id=message_id,
            chat_id=chat_id,
            text=text,
            html=raw_text if isinstance(raw_text, str) else str(raw_text),
            parse_mode=params.get("parse_mode"),
            reply_markup=markup,
            reply_to_message_id=reply_to,
            entities=entities,
        )
        return copy.deepcopy(message)

    async def _edit_message_text(self, params: JSONDict) -> JSONDict | bool:
        if params.get("inline_message_id"):
            markup = self._edit_markup(params)
            text, entities = render_text(
                params.get("text"), params.get("parse_mode"), params.get("entities")
            )
            inline_id = str(params["inline_message_id"])
            previous = self.inline_edits.get(inline_id)
            self.inline_edits[inline_id] = BotMessage(
                message_id=0,
                chat_id=0,
                text=text,
                html=str(params.get("text")),
                parse_mode=params.get("parse_mode"),
                reply_markup=markup,
                edits=previous.edits + 1 if previous else 1,
                entities=entities,
            )
            return True
        current = self._edit_target(params)
        markup = self._edit_markup(params)
        text, entities = render_text(
            params.get("text"), params.get("parse_mode"), params.get("entities")
        )
        if (
            text == current.text
            and entities == current.entities
            and _inline_keyboard(markup) == _inline_keyboard(current.reply_markup)
        ):
            raise ApiError(400, NOT_MODIFIED)
        raw_text = params.get("text")
        current.text = text
        current.entities = entities
        current.html = raw_text if isinstance(raw_text, str) else str(raw_text)
        current.parse_mode = params.get("parse_mode")
        current.reply_markup = markup
        return self._store_edit(current)

    async def _edit_message_reply_markup(self, params: JSONDict) -> JSONDict | bool:
        if params.get("inline_message_id"):
            self._edit_markup(params)
            return True
        current = self._edit_target(params)
        markup = self._edit_markup(params)
        if _inline_keyboard(markup) == _inline_keyboard(current.reply_markup):
            raise ApiError(400, NOT_MODIFIED)
        current.reply_markup = markup
        return self._store_edit(current)

    async def _delete_message(self, params: JSONDict) -> bool:
        chat = self._chat(params)
        assert chat is not None
        if params.get("message_id") is None:
            raise ApiError(400, "Bad Request: message identifier is not specified")
        key = (int(chat["id"]), _as_int(params["message_id"], "invalid message identifier"))
        if key not in self._messages:
            raise ApiError(400, "Bad Request: message to delete not found")
        del self._messages[key]
        self._bot_messages.pop(key, None)
        return True

    async def _delete_messages(self, params: JSONDict) -> bool:
        chat = self._chat(params)
        assert chat is not None
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise ApiError(400, "Bad Request: message identifiers are not specified")
        for raw_id in ids:
            key = (int(chat["id"]), _as_int(raw_id, "invalid message identifier"))
            self._messages.pop(key, None)
            self._bot_messages.pop(key, None)
        return True

    async def _send_chat_action(self, params: JSONDict) -> bool:
        self._chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    async def _answer_callback_query(self, params: JSONDict) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        text = params.get("text")
        if text is not None and utf16_len(str(text)) > MAX_CALLBACK_ANSWER_UTF16:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        created = self._callback_times.get(query_id)
        if (
            query_id not in self.unanswered_callbacks
            or created is None
            or time.monotonic() - created > self.callback_ttl
        ):
            raise ApiError(400, QUERY_TOO_OLD)
        self.unanswered_callbacks.discard(query_id)
        self.callback_answers[query_id] = {
            key: params[key] for key in ("text", "show_alert", "url", "cache_time") if key in params
        }
        return True

    async def _answer_inline_query(self, params: JSONDict) -> bool:
        query_id = str(params.get("inline_query_id") or "")
        created = self._inline_times.get(query_id)
        if (
            created is None
            or query_id in self.inline_answers
            or time.monotonic() - created > self.inline_ttl
        ):
            raise ApiError(400, QUERY_TOO_OLD)
        results = params.get("results")
        if not isinstance(results, list):
            raise ApiError(400, "Bad Request: can't parse inline query results JSON object")
        if len(results) > MAX_INLINE_RESULTS:
            raise ApiError(400, "Bad Request: RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            if not isinstance(result, dict) or not isinstance(result.get("type"), str):
                raise ApiError(400, "Bad Request: can't parse InlineQueryResult JSON object")
            result_id = result.get("id")
            if not isinstance(result_id, str) or not 1 <= len(result_id.encode()) <= (
                MAX_RESULT_ID_BYTES
            ):
                raise ApiError(400, "Bad Request: RESULT_ID_INVALID")
            if result_id in seen:
                raise ApiError(400, "Bad Request: RESULT_ID_DUPLICATE")
            seen.add(result_id)
            content = result.get("input_message_content")
            if isinstance(content, dict) and "message_text" in content:
                render_text(
                    content.get("message_text"), content.get("parse_mode"), content.get("entities")
                )
            markup = validate_reply_markup(result.get("reply_markup"))
            if markup is not None and "inline_keyboard" not in markup:
                raise ApiError(400, "Bad Request: inline keyboard expected")
        self.inline_answers[query_id] = copy.deepcopy(results)
        return True

    async def _set_my_commands(self, params: JSONDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        if len(commands) > MAX_COMMANDS:
            raise ApiError(400, "Bad Request: BOT_COMMANDS_TOO_MUCH")
        stored: list[JSONDict] = []
        for command in commands:
            if not isinstance(command, dict):
                raise ApiError(400, "Bad Request: can't parse BotCommand JSON object")
            name = command.get("command")
            if not isinstance(name, str) or not _COMMAND_RE.fullmatch(name):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            description = command.get("description")
            if (
                not isinstance(description, str)
                or not description.strip()
                or len(description) > MAX_COMMAND_DESCRIPTION
            ):
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
            stored.append({"command": name, "description": description})
        key = self._commands_key(self._scope(params), params.get("language_code"))
        if stored:
            self.my_commands[key] = stored
        else:
            self.my_commands.pop(key, None)
        return True

    async def _get_my_commands(self, params: JSONDict) -> list[JSONDict]:
        key = self._commands_key(self._scope(params), params.get("language_code"))
        return copy.deepcopy(self.my_commands.get(key, []))

    async def _delete_my_commands(self, params: JSONDict) -> bool:
        key = self._commands_key(self._scope(params), params.get("language_code"))
        self.my_commands.pop(key, None)
        return True

    async def _set_my_description(self, params: JSONDict) -> bool:
        description = str(params.get("description") or "")
        if len(description) > MAX_DESCRIPTION:
            raise ApiError(400, "Bad Request: description is too long")
        self.descriptions[str(params.get("language_code") or "")] = description
        return True

    async def _get_my_description(self, params: JSONDict) -> JSONDict:
        language = str(params.get("language_code") or "")
        return {"description": self.descriptions.get(language, "")}

    async def _set_my_short_description(self, params: JSONDict) -> bool:
        description = str(params.get("short_description") or "")
        if len(description) > MAX_SHORT_DESCRIPTION:
            raise ApiError(400, "Bad Request: short description is too long")
        self.short_descriptions[str(params.get("language_code") or "")] = description
        return True

    async def _get_my_short_description(self, params: JSONDict) -> JSONDict:
        language = str(params.get("language_code") or "")
        return {"short_description": self.short_descriptions.get(language, "")}

    async def _set_chat_menu_button(self, params: JSONDict) -> bool:
        chat = self._chat(params, required=False)
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in (
            "default",
            "commands",
            "web_app",
        ):
            raise ApiError(400, "Bad Request: can't parse menu button JSON object")
        self.menu_buttons[int(chat["id"]) if chat else None] = button
        return True

    async def _get_chat_menu_button(self, params: JSONDict) -> JSONDict:
        chat = self._chat(params, required=False)
        key = int(chat["id"]) if chat else None
        return copy.deepcopy(
            self.menu_buttons.get(key) or self.menu_buttons.get(None) or {"type": "default"}
        )
