"""Build the Teams app package (the zip an admin uploads) from the committed manifest and icons.

manifest/teams/manifest.json carries a placeholder app id (all zeros) in `id` and
`bots[0].botId`, and the placeholder host okrbot.example.com in `validDomains` and the developer
URLs. Teams requires `id` and `botId` to be the bot's Microsoft App ID (the Azure Bot
registration's client id), so every deployment builds its own package with its id, and usually
its own public host name for `validDomains`.
"""

from __future__ import annotations

import json
import re
import zipfile
from importlib import resources
from pathlib import Path
from typing import Any

PLACEHOLDER_APP_ID = "00000000-0000-0000-0000-000000000000"
PACKAGE_FILES = ("manifest.json", "color.png", "outline.png")

_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
# A bare host name, optionally with a leading wildcard label, as Teams accepts in validDomains.
_HOST = re.compile(r"^(?:\*\.)?(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")


class PackageError(ValueError):
    """An argument the package cannot be built from; the message says which and why."""


def _resource(name: str) -> bytes:
    return resources.files("okrbot.manifest").joinpath("teams").joinpath(name).read_bytes()


def check_app_id(app_id: str) -> str:
    """`app_id` if it can identify a Teams app and its bot, else PackageError saying why."""
    if not _GUID.match(app_id):
        raise PackageError(
            f"{app_id!r} is not a GUID; use the bot's Microsoft App ID, "
            "e.g. 1a2b3c4d-0000-4000-8000-0123456789ab"
        )
    if app_id == PLACEHOLDER_APP_ID:
        raise PackageError(
            "the all-zero placeholder is not an app id; use the bot's Microsoft App ID"
        )
    return app_id


def check_domain(domain: str) -> str:
    """`domain` if it is a bare host name Teams accepts in validDomains, else PackageError."""
    if not _HOST.match(domain):
        raise PackageError(
            f"{domain!r} is not a host name; give it without scheme, port or path, "
            "e.g. okrbot.contoso.com"
        )
    return domain


def manifest(app_id: str, domain: str | None = None) -> dict[str, Any]:
    """The committed manifest with this deployment's app id (and host, if given)."""
    check_app_id(app_id)
    if domain is not None:
        check_domain(domain)
    data: dict[str, Any] = json.loads(_resource("manifest.json"))
    data["id"] = app_id
    for bot in data["bots"]:
        bot["botId"] = app_id
    if domain is not None:
        data["validDomains"] = [domain]
    return data


def build_package(app_id: str, out: Path, domain: str | None = None) -> Path:
    """Write the app package zip to `out` and return its path.

    Raises PackageError for an app id that is not a GUID (or is the placeholder) or a bad domain.
    """
    data = manifest(app_id, domain)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        for icon in PACKAGE_FILES[1:]:
            package.writestr(icon, _resource(icon))
    return out
