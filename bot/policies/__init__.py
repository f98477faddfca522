"""Policy files that ship with the bot, read as package data (``importlib.resources``), not from the tree."""
