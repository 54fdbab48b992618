"""The wheel carries the guide and the catalogs: an installed bot works outside a checkout."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = textwrap.dedent(
    """
    import bot
    from bot.service import Content
    from bot.flow import Step, Session
    from bot.resources import resource_path

    content = Content.load()
    session = Session(chat_id=1, user_id=1, step=Step.CONFIRMED, language="ru",
                      created_at=0, updated_at=0)
    view = content.renderer.view(content.flow.screen(session), session,
                                 content.catalogs.translator("ru"))
    print(bot.__file__)
    print(resource_path("data"))
    print(view.text)
    """
)


def test_installed_wheel_loads_guide_and_catalogs(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
        ],
        check=True,
        timeout=300,
    )
    wheel = next((tmp_path / "dist").glob("*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "bot/data/guide.toml" in names
    assert "bot/locales/ru/LC_MESSAGES/messages.po" in names

    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        timeout=300,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=elsewhere,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.splitlines()
    assert out[0].startswith(str(target))
    assert out[1] == str(target / "bot" / "data")
    assert "Вы подтвердили получение заказа?" in out[2]
