"""Block Kit for what people read: a page of ``timeline`` or ``jobs`` with paging buttons, and ``help``.

Pure builders over the core's values (:class:`~bot.core.pages.ReadingPage`,
:class:`~shared.reference.HelpSheet`); the wording is in :mod:`shared.messages.pages`. A page is a
header, one section per entry (time, who, what), a context line, and Older / Newer buttons whose
value is the :class:`~bot.core.pages.PageCursor` of the page they show. Slack's limits are enforced
here: at most :data:`MAX_BLOCKS` blocks a message, :data:`~bot.slack.views.blocks.SECTION_LIMIT` characters
a section, :data:`~bot.slack.views.blocks.HEADER_LIMIT` a header.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import ButtonElement

from bot.core.pages import PageCursor, ReadingPage
from bot.slack.views.blocks import SECTION_LIMIT, Block, actions, button, context, header, section
from shared.messages import conversation, usage
from shared.messages import pages as messages
from shared.reference import HelpSheet

OLDER_ACTION = "page_older"
NEWER_ACTION = "page_newer"
"""Stable ``action_id`` values of the paging buttons; the value carries the page to show."""
PAGE_ACTIONS = (OLDER_ACTION, NEWER_ACTION)
MAX_BLOCKS = 50
"""Most blocks in one message."""
VALUE_LIMIT = 2000
"""Most characters of a button's value."""
_FRAME = 4
"""Blocks of a page that are not entries: header, a cut note, the context line, the buttons."""


def page_blocks(page: ReadingPage) -> list[Block]:
    """The blocks of ``page``: within Slack's limits whatever the page holds."""
    blocks: list[Block] = [header(page.title)]
    if not page.items:
        blocks.append(section(page.empty))
    room = MAX_BLOCKS - _FRAME
    for item in page.items[:room]:
        blocks.append(section(messages.entry_line(when=item.when, actor=item.actor, what=item.what)))
    if len(page.items) > room:
        blocks.append(context(messages.page_cut(hidden=len(page.items) - room)))
    blocks.append(context(messages.page_footer(number=page.number, shown=len(page.items))))
    buttons = [
        _page_button(OLDER_ACTION, messages.older_button(), page.older),
        _page_button(NEWER_ACTION, messages.newer_button(), page.newer),
    ]
    elements = [button for button in buttons if button is not None]
    if elements:
        blocks.append(actions(*elements, block_id=f"page:{page.cursor.kind.value}"))
    return blocks


def _page_button(action_id: str, label: str, cursor: PageCursor | None) -> ButtonElement | None:
    if cursor is None:
        return None
    value = cursor.encode()
    if len(value) > VALUE_LIMIT:
        return None
    return button(label, action_id=action_id, value=value)


def help_blocks(sheet: HelpSheet) -> list[Block]:
    """The ``help`` sheet: the commands the person may run by area, or one topic in detail.

    The sections hold the very text of the plain reply (:func:`shared.messages.conversation.help_text`),
    one per area or per command, so Slack and the console read the same.
    """
    shown = sheet.shown
    if not shown:
        return [section(messages.help_nothing())]
    if sheet.topic is None:
        areas = [conversation.help_area(area, shown) for area in usage.AREAS]
        blocks: list[Block] = [header(messages.help_title())]
        blocks += [section(area) for area in areas if area]
        blocks.append(context(conversation.help_footer()))
        return blocks
    entries = [conversation.help_entry(entry, allowed=entry.name in sheet.allowed) for entry in shown]
    blocks = [header(messages.help_topic_title(topic=sheet.topic))]
    blocks += packed_sections(entries, most=MAX_BLOCKS - 2)
    blocks.append(context(messages.help_hint()))
    return blocks


def packed_sections(texts: Sequence[str], *, most: int) -> list[Block]:
    """``texts`` one section each while they fit in ``most`` blocks, else packed into as few as fit.

    Texts are joined by a blank line; a text longer than a section is cut by :func:`section`.
    """
    if len(texts) <= most:
        return [section(text) for text in texts]
    chunks: list[list[str]] = [[]]
    for text in texts:
        chunk = chunks[-1]
        if chunk and len("\n\n".join([*chunk, text])) > SECTION_LIMIT:
            chunks.append([])
        chunks[-1].append(text)
    return [section("\n\n".join(chunk)) for chunk in chunks[:most]]


def view_blocks(view: ReadingPage | HelpSheet) -> list[Block]:
    """The blocks of a reply's structured view, whichever it is."""
    return page_blocks(view) if isinstance(view, ReadingPage) else help_blocks(view)
