"""Every sentence a person reads, as functions returning strings, one module per area.

Tests assert against these functions rather than copied text, so wording can change in one place.
"""
