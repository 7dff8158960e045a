"""Logging for `okrbot serve`: the operator's level, and never what people wrote.

At DEBUG, some libraries print whole request bodies and SQL parameters: slack_sdk every Web API
call (a check-in summary with its note), Bolt every response it sends, aiosqlite every
statement with its values, msrest's HTTP logger the Bot Framework traffic. Their DEBUG records
are dropped whatever the level, so a log handed to a vendor or pasted into a ticket carries no
check-in note, blocker or kudos message. SQL parameters are hidden at the engine as well
(`storage.db`), which also keeps them out of error messages.
"""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Loggers whose DEBUG output contains request bodies or statement parameters.
BODY_LOGGERS = ("aiosqlite", "slack_sdk", "slack_bolt", "msrest.http_logger", "sqlalchemy.engine")


def _no_bodies(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.INFO or not record.name.startswith(BODY_LOGGERS)


def configure_logging(level: str) -> None:
    """The root handler at `level`, minus the DEBUG records of `BODY_LOGGERS`.

    A filter on the handler rather than logger levels: Bolt copies the root's level onto each
    logger it creates, which would undo a level set here.
    """
    logging.basicConfig(level=level, format=FORMAT)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_no_bodies)
