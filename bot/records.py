"""What the store reads back besides sessions: reminders and the figures of /stats.

Plain records, in a module of their own so that the screens can show them without
importing the store (:mod:`bot.storage` writes and reads them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Reminder:
    id: int
    user_id: int
    chat_id: int
    due_at: float
    deadline: date
    kind: str
    language: str


@dataclass(frozen=True, slots=True)
class Stats:
    conversations_today: int  # conversations started since the start of the day (still stored)
    conversations_week: int
    boxes: Mapping[str, int]  # answers shown this week, by box
    routes: Mapping[str, int]  # … and by route
