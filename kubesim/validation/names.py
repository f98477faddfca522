"""The name and label rules of k8s.io/apimachinery/pkg/util/validation, with their messages verbatim
(kubectl prints them, so operators read exactly these words)."""

from __future__ import annotations

import functools
import re

_DNS1123_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN = _DNS1123_LABEL + "(\\." + _DNS1123_LABEL + ")*"
_DNS1035_LABEL = "[a-z]([-a-z0-9]*[a-z0-9])?"
_QUALIFIED_NAME = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE = "(" + _QUALIFIED_NAME + ")?"
_CONFIG_KEY = "[-._a-zA-Z0-9]+"

_SUBDOMAIN_MESSAGE = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character"
)
_LABEL_MESSAGE = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character"
)
_DNS1035_MESSAGE = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character"
)
_QUALIFIED_MESSAGE = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character"
)
_VALUE_MESSAGE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)
_CONFIG_KEY_MESSAGE = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"


def regex_error(message: str, pattern: str, *examples: str) -> str:
    """apimachinery's RegexError, double spaces and all."""
    shown = " or ".join(f"'{example}', " for example in examples)
    return f"{message} (e.g. {shown}regex used for validation is '{pattern}')"


def _max_length(limit: int) -> str:
    return f"must be no more than {limit} characters"


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _full(pattern: str, value: str) -> bool:
    return _compiled(pattern).fullmatch(value) is not None


def dns1123_subdomain(value: str) -> list[str]:
    """IsDNS1123Subdomain: what is wrong with a name (most objects' names)."""
    problems = [_max_length(253)] if len(value) > 253 else []
    if not _full(_DNS1123_SUBDOMAIN, value):
        problems.append(regex_error(_SUBDOMAIN_MESSAGE, _DNS1123_SUBDOMAIN, "example.com"))
    return problems


def dns1123_label(value: str) -> list[str]:
    """IsDNS1123Label: namespaces' and containers' names."""
    problems = [_max_length(63)] if len(value) > 63 else []
    if not _full(_DNS1123_LABEL, value):
        problems.append(regex_error(_LABEL_MESSAGE, _DNS1123_LABEL, "my-name", "123-abc"))
    return problems


def dns1035_label(value: str) -> list[str]:
    """IsDNS1035Label: Services' names."""
    problems = [_max_length(63)] if len(value) > 63 else []
    if not _full(_DNS1035_LABEL, value):
        problems.append(regex_error(_DNS1035_MESSAGE, _DNS1035_LABEL, "my-name", "abc-123"))
    return problems


def qualified_name(value: str) -> list[str]:
    """IsQualifiedName: label and annotation keys (an optional DNS subdomain prefix and '/')."""
    parts = value.split("/")
    if len(parts) > 2:
        return [
            "a qualified name "
            + regex_error(_QUALIFIED_MESSAGE, _QUALIFIED_NAME, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    problems: list[str] = []
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            problems.append("prefix part must be non-empty")
        else:
            problems += ["prefix part " + problem for problem in dns1123_subdomain(prefix)]
    if not name:
        problems.append("name part must be non-empty")
    elif len(name) > 63:
        problems.append("name part " + _max_length(63))
    if not _full(_QUALIFIED_NAME, name):
        problems.append(
            "name part " + regex_error(_QUALIFIED_MESSAGE, _QUALIFIED_NAME, "MyName", "my.name", "123-abc")
        )
    return problems


def label_value(value: str) -> list[str]:
    """IsValidLabelValue."""
    problems = [_max_length(63)] if len(value) > 63 else []
    if not _full(_LABEL_VALUE, value):
        problems.append(regex_error(_VALUE_MESSAGE, _LABEL_VALUE, "MyValue", "my_value", "12345"))
    return problems


def config_key(value: str) -> list[str]:
    """IsConfigMapKey: the keys of a ConfigMap's or Secret's data."""
    problems = [_max_length(253)] if len(value) > 253 else []
    if not _full(_CONFIG_KEY, value):
        problems.append(regex_error(_CONFIG_KEY_MESSAGE, _CONFIG_KEY, "key.name", "KEY_NAME", "key-name"))
    return problems


def path_segment(value: str) -> list[str]:
    """IsValidPathSegmentName: what RBAC objects' names must be (``system:controller:x`` is fine)."""
    if value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{char}'" for char in "/%" if char in value]
