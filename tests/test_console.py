"""``python -m bot --console``: the whole conversation in a terminal, on the same storage."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_console(db: Path, lines: list[str]) -> str:
    env = {**os.environ, "DATABASE_PATH": str(db)}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "--console"],
        cwd=ROOT,
        env=env,
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_walks_to_the_answer_with_numbers_and_words(tmp_path: Path) -> None:
    out = run_console(tmp_path / "db.sqlite3", ["1", "нет", "2", "2", "не пришла посылка"])
    assert "Вы подтвердили получение заказа?" in out
    assert "1) Да" in out
    assert "Защита покупателя по этому заказу ещё действует?" in out
    assert "«товар не получен»" in out
    assert "Products not received" in out
    assert "buyer@aliexpress.com" in out
    assert "<b>" not in out  # HTML is shown as plain text


def test_resumes_where_it_stopped(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    run_console(db, ["/complaint", "да"])
    out = run_console(db, ["давно", "подделка"])
    # The second run starts at the question the first one stopped at.
    assert out.index("Когда вы подтвердили получение?") < out.index("Что случилось?")
    assert "Intellectual Property Rights (IPR) Infringement" in out


def test_unknown_input_gets_a_kind_answer(tmp_path: Path) -> None:
    out = run_console(tmp_path / "db.sqlite3", ["/complaint", "абракадабра", "/foo", "/cancel"])
    assert "не удалось разобрать ответ" in out
    assert "Такой команды нет" in out
    assert "Хорошо, разговор прерван" in out


def test_help_keeps_the_numbered_choices_usable(tmp_path: Path) -> None:
    out = run_console(tmp_path / "db.sqlite3", ["/complaint", "/help", "2"])
    assert "/complaint — начать" in out
    assert "Защита покупателя по этому заказу ещё действует?" in out  # «2» pressed «Нет»


def test_ctrl_c_ends_the_console_at_once(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_PATH": str(tmp_path / "db.sqlite3")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "--console"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,  # kept open: the console waits for a line
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    while "Пожаловаться на продавца" not in proc.stdout.readline():
        pass
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert "Traceback" not in stderr
