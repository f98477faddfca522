"""The entries of the command registry, one module per area ``help`` lists them under.

Each module's ``SPECS`` holds its commands in ``help`` order, each entry beside the builder that reads
its arguments; :mod:`shared.registry` puts the areas together.
"""
