"""Where the catalogs (``locales/``) and the guide (``data/``) are.

In a checkout they sit at the top of the repository; an installed wheel carries them inside
the package (see ``[tool.hatch.build.targets.wheel.force-include]`` in ``pyproject.toml``).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def resource_path(name: str) -> Path:
    """Return the directory ``name`` (``"locales"`` or ``"data"``), packaged copy first."""
    packaged = _PACKAGE_DIR / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE_DIR.parent / name
