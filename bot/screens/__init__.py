"""The screens of the bot, one module per family (see :mod:`bot.render`)."""
