"""The incident's read-only web page: served by the bot's HTTP side to whoever holds a signed link."""
