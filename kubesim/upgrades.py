"""The simulator's stand-in for replacing kube-apiserver's binary: ``POST /kubesim/version``.

On a real cluster ``/version`` changes because a new kube-apiserver starts (kubeadm rewrites its static
pod manifest); nothing in the Kubernetes API can do that. In kubesim, an upgrader posts
``{"gitVersion": "v1.32.0"}`` here after it has updated the apiserver's mirror pod, and ``GET /version``
answers with the new version from then on. ``GET /kubesim/version`` reads it (and tells a worker that it
talks to kubesim).
"""

from __future__ import annotations

import re
from typing import Any

from kubesim import errors

_GIT_VERSION = re.compile(r"v\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?")


def requested_version(body: Any) -> str:
    """The ``gitVersion`` of a ``POST /kubesim/version`` body; 400 BadRequest unless it is ``vX.Y.Z[-…]``."""
    version = body.get("gitVersion") if isinstance(body, dict) else None
    if not isinstance(version, str) or not _GIT_VERSION.fullmatch(version):
        raise errors.bad_request(f'gitVersion must look like "v1.32.0", got {version!r}')
    return version
