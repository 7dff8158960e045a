"""okrbot: OKRs and continuous performance conversations in Slack and Microsoft Teams."""

__version__ = "0.1.0"
