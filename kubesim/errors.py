"""API errors as the real API server reports them: an exception that renders itself as a `kind: Status` body.

Messages mimic kube-apiserver (apimachinery `errors.go`) because kubectl prints them verbatim as
`Error from server (<Reason>): <message>`.
"""

from __future__ import annotations

from typing import Any

from kubesim.resources import RESOURCES, ResourceType


class ApiError(Exception):
    """A failed API request: HTTP `code`, Status `reason`, human `message` and optional `details`."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.retry_after = retry_after

    def to_status(self) -> dict[str, Any]:
        """The `kind: Status` failure body for this error."""
        status: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        }
        details = dict(self.details or {})
        if self.retry_after:
            details["retryAfterSeconds"] = self.retry_after
        if details or self.details is not None:
            status["details"] = {key: details[key] for key in _DETAIL_ORDER if key in details}
        status["code"] = self.code
        return status


_DETAIL_ORDER = ("name", "group", "kind", "uid", "causes", "retryAfterSeconds")
"""metav1.StatusDetails' fields in the order the API server writes them."""


def _type(resource: str | ResourceType) -> tuple[str, str]:
    """(qualified name for messages, group) of a resource given by plural name or type."""
    rt = resource if isinstance(resource, ResourceType) else RESOURCES.get(resource)
    if rt is None:
        return str(resource), ""
    return rt.qualified, rt.group


def _details(resource: str | ResourceType, name: str) -> dict[str, Any]:
    qualified, group = _type(resource)
    plural = qualified.split(".", 1)[0]
    details: dict[str, Any] = {"name": name, "kind": plural}
    if group:
        details["group"] = group
    return details


def not_found(resource: str | ResourceType, name: str) -> ApiError:
    """404 NotFound: `pods "x" not found`."""
    qualified, _ = _type(resource)
    return ApiError(404, "NotFound", f'{qualified} "{name}" not found', details=_details(resource, name))


def already_exists(resource: str | ResourceType, name: str) -> ApiError:
    """409 AlreadyExists: `pods "x" already exists`."""
    qualified, _ = _type(resource)
    return ApiError(
        409, "AlreadyExists", f'{qualified} "{name}" already exists', details=_details(resource, name)
    )


def conflict(resource: str | ResourceType, name: str, *, why: str | None = None) -> ApiError:
    """409 Conflict for a stale resourceVersion or failed precondition."""
    qualified, _ = _type(resource)
    why = why or "the object has been modified; please apply your changes to the latest version and try again"
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {qualified} "{name}": {why}',
        details=_details(resource, name),
    )


def invalid(kind: str, name: str, causes: list[dict[str, str]], *, group: str = "") -> ApiError:
    """422 Invalid: `Deployment.apps "web" is invalid: <field>: <message>` (several in brackets, as Go's
    aggregate error prints them); causes are {reason, message, field} (see kubesim.validation.field)."""
    qualified_kind = f"{kind}.{group}" if group else kind
    lines = list(
        dict.fromkeys(f"{c['field']}: {c['message']}" if c.get("field") else c["message"] for c in causes)
    )
    summary = lines[0] if len(lines) == 1 else "[" + ", ".join(lines) + "]"
    details: dict[str, Any] = {"kind": kind, "causes": causes}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    return ApiError(422, "Invalid", f'{qualified_kind} "{name}" is invalid: {summary}', details=details)


def rejected_patch() -> ApiError:
    """422 Invalid for a JSON patch whose operation fails (a `test` that does not hold, a missing path):
    the API server gives no detail."""
    return ApiError(
        422, "Invalid", "the server rejected our request due to an error in our request", details={}
    )


def bad_request(message: str) -> ApiError:
    """400 BadRequest."""
    return ApiError(400, "BadRequest", message)


def method_not_allowed(
    message: str = "the server does not allow this method on the requested resource",
) -> ApiError:
    """405 MethodNotAllowed."""
    return ApiError(405, "MethodNotAllowed", message)


def forbidden(message: str, *, details: dict[str, Any] | None = None) -> ApiError:
    """403 Forbidden."""
    return ApiError(403, "Forbidden", message, details=details)


def too_many_requests(
    message: str, causes: list[dict[str, str]] | None = None, retry_after: int | None = None
) -> ApiError:
    """429 TooManyRequests, optionally with causes (e.g. reason DisruptionBudget: a StatusCause's Type is "reason" on the wire) and Retry-After seconds."""
    details: dict[str, Any] | None = {"causes": causes} if causes else None
    return ApiError(429, "TooManyRequests", message, details=details, retry_after=retry_after)


def expired(message: str) -> ApiError:
    """410 Expired: a watch or continue token older than the kept history."""
    return ApiError(410, "Expired", message)


def internal_error(message: str) -> ApiError:
    """500 InternalError."""
    return ApiError(500, "InternalError", f"Internal error occurred: {message}")


def timeout(message: str) -> ApiError:
    """504 Timeout."""
    return ApiError(504, "Timeout", message)


def service_unavailable(message: str) -> ApiError:
    """503 ServiceUnavailable."""
    return ApiError(503, "ServiceUnavailable", message)
