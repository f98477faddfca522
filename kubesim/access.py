"""Requests made as someone else: impersonation, RBAC refusals and the two self-reviews.

kubesim has no authentication: a request without ``Impersonate-User`` is the cluster admin's and is
never refused. With it, the request acts as that user, their ``Impersonate-Group`` groups and
``system:authenticated`` (as kube-apiserver adds it), and a resource request no RBAC rule in the
store allows gets the server's 403 word for word. Discovery and other non-resource paths stay open
(the real ``system:discovery`` role gives them to every authenticated user), as do the two reviews
every user may ask about themselves:

- ``selfsubjectaccessreviews`` (``kubectl auth can-i``): may I do this verb on this resource?
- ``selfsubjectreviews`` (``kubectl auth whoami``): who am I, with which groups and extras?

Unlike the real server, the caller is not checked for the right to impersonate (it is the admin).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

from aiohttp import web
from aiohttp.typedefs import Middleware

from kubesim import errors
from kubesim.audit import RequestInfo, request_info
from kubesim.rbac import AUTHENTICATED, Subject, allowed_by, forbidden_message
from kubesim.store import Store

_ACCESS_REVIEWS = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
_WHOAMI = "/apis/authentication.k8s.io/v1/selfsubjectreviews"
_EXTRA = "impersonate-extra-"


def subject_of(request: web.Request) -> Subject | None:
    """Who the request acts as, or None for kubesim's admin."""
    user = request.headers.get("Impersonate-User")
    groups = request.headers.getall("Impersonate-Group", [])
    if user is None:
        if groups:
            raise errors.bad_request("Impersonate-Group requires Impersonate-User")
        return None
    extra: dict[str, tuple[str, ...]] = {}
    for name, value in request.headers.items():
        if name.lower().startswith(_EXTRA):
            key = unquote(name[len(_EXTRA) :]).lower()
            extra[key] = (*extra.get(key, ()), value)
    every = (*groups, AUTHENTICATED) if AUTHENTICATED not in groups else tuple(groups)
    return Subject(user=user, groups=every, extra=extra)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def middleware(store: Store) -> Middleware:
    """The aiohttp middleware deciding requests made as someone else, and answering the reviews."""

    @web.middleware
    async def access(request: web.Request, handler: Handler) -> web.StreamResponse:
        subject = subject_of(request)
        path = request.path.rstrip("/")
        if request.method == "POST" and path in (_ACCESS_REVIEWS, _WHOAMI):
            body = json.loads(await request.read() or b"{}")
            answer = _review(store, subject, body) if path == _ACCESS_REVIEWS else _whoami(subject, body)
            return web.json_response(answer, status=201)
        if subject is not None:
            info = request_info(request.method, request.path, request.query)
            if info.is_resource_request and allowed_by(store, subject, info) is None:
                raise _forbidden(subject, info)
        return await handler(request)

    return access


def _forbidden(subject: Subject, info: RequestInfo) -> errors.ApiError:
    qualified = f"{info.resource}.{info.api_group}" if info.api_group else info.resource
    what = f'{qualified} "{info.name}"' if info.name else qualified
    details: dict[str, Any] = {"name": info.name, "group": info.api_group, "kind": info.resource}
    return errors.forbidden(
        f"{what} is forbidden: {forbidden_message(subject, info)}",
        details={key: value for key, value in details.items() if value},
    )


def _review(store: Store, subject: Subject | None, body: dict[str, Any]) -> dict[str, Any]:
    spec = body.get("spec") or {}
    attributes = spec.get("resourceAttributes")
    if attributes is not None:
        info = RequestInfo(
            method="",
            path="",
            verb=str(attributes.get("verb", "")),
            is_resource_request=True,
            api_group=str(attributes.get("group", "")),
            namespace=str(attributes.get("namespace", "")),
            resource=str(attributes.get("resource", "")),
            subresource=str(attributes.get("subresource", "")),
            name=str(attributes.get("name", "")),
        )
    else:
        plain = spec.get("nonResourceAttributes") or {}
        info = RequestInfo(method="", path=str(plain.get("path", "")), verb=str(plain.get("verb", "")))
    reason = "kubesim: the admin may do anything" if subject is None else allowed_by(store, subject, info)
    status: dict[str, Any] = {"allowed": reason is not None}
    if reason:
        status["reason"] = reason
    return {
        **_shell(body, "SelfSubjectAccessReview", "authorization.k8s.io/v1"),
        "spec": spec,
        "status": status,
    }


def _whoami(subject: Subject | None, body: dict[str, Any]) -> dict[str, Any]:
    who = subject or Subject(user="kubernetes-admin", groups=("kubeadm:cluster-admins", AUTHENTICATED))
    info: dict[str, Any] = {"username": who.user, "groups": list(who.groups)}
    if who.extra:
        info["extra"] = {key: list(values) for key, values in who.extra.items()}
    return {**_shell(body, "SelfSubjectReview", "authentication.k8s.io/v1"), "status": {"userInfo": info}}


def _shell(body: dict[str, Any], kind: str, api_version: str) -> dict[str, Any]:
    metadata = {key: value for key, value in (body.get("metadata") or {}).items() if key != "resourceVersion"}
    metadata.setdefault("creationTimestamp", None)
    return {"kind": kind, "apiVersion": api_version, "metadata": metadata}
