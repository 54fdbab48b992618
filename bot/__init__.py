"""Telegram bot that helps AliExpress buyers complain about a seller."""
