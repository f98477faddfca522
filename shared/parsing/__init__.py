"""The grammar's machinery, below the command registry: words, options, and reading arguments.

Nothing here knows any particular command. :mod:`.words` splits chat text into words,
:mod:`.options` reads ``--name value`` options, :mod:`.arguments` checks what a command was given and
collects it; each command's own builder (in :mod:`shared.catalog`) turns the collected
:class:`~shared.parsing.arguments.Arguments` into its frozen value, and :func:`shared.grammar.parse`
puts it together.
"""
