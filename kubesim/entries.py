"""How the store keeps objects small: each stored object is its compact JSON, compressed with zlib against
a preset dictionary (the JSON of an earlier object of the same resource), plus its labels, one map shared
by every object that carries the same labels.

Objects of one resource mostly repeat each other (the same keys, defaults and images), so a pod costs
about a hundred bytes instead of the two kilobytes of its dicts. The objects used last (the working set:
what controllers read over and over, what was just written) stay decoded, shared read-only; an object
is compressed only when it leaves the working set, so an object rewritten while it is in use is never
encoded at all. A list serves the decompressed JSON without decoding it, and a label selector matches
the shared labels without decoding anything.
"""

from __future__ import annotations

import itertools
import json
import weakref
import zlib
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from kubesim.records import clone, encode

Obj = dict[str, Any]
Labels = Mapping[str, str]

_WBITS = -13
"""Raw deflate with an 8 KiB window: the dictionary and the object being compressed must fit in it."""
_LEVEL = 1
"""Fastest: against a good dictionary the higher levels save a few bytes an object, at a third more time."""
_MEM_LEVEL = 4
"""A small match table: objects are short, and a smaller state is quicker to set up per object."""
DICTIONARY_BYTES = 4096
"""The longest dictionary kept (the start of the object it was learnt from)."""
LEARN_RATIO = 4
"""An object that does not shrink to a quarter of its JSON teaches its resource a new dictionary."""
WORKING_SET = 1024
"""How many objects stay decoded (the most recently written or read)."""


class Codec:
    """zlib against one preset dictionary."""

    __slots__ = ("zdict",)

    def __init__(self, zdict: bytes) -> None:
        self.zdict = zdict

    def pack(self, raw: bytes) -> bytes:
        compressor = zlib.compressobj(
            _LEVEL, zlib.DEFLATED, _WBITS, _MEM_LEVEL, zlib.Z_DEFAULT_STRATEGY, self.zdict
        )
        return compressor.compress(raw) + compressor.flush()

    def unpack(self, data: bytes) -> bytes:
        return zlib.decompressobj(_WBITS, self.zdict).decompress(data)


class _SharedLabels(dict[str, str]):
    """A label map shared by the entries that carry it: read-only, gone with the last of them."""

    __slots__ = ("__weakref__",)


class Entry:
    """One stored object: the object itself while it is in the working set, else its JSON (compressed
    with `_codec`, or plain without one); plus its labels, shared."""

    __slots__ = ("_codec", "_data", "labels")

    def __init__(self, codec: Codec | None, data: Obj | bytes, labels: Labels | None) -> None:
        self._codec = codec
        self._data = data
        self.labels = labels
        """metadata.labels (None when there are none), for label selectors; never mutate."""

    @classmethod
    def plain(cls, obj: Obj) -> Entry:
        """An entry of an object no store keeps (plain JSON, labels unshared)."""
        return cls(None, encode(obj), (obj.get("metadata") or {}).get("labels"))

    def decode(self) -> Obj:
        """A fresh copy of the object (the caller may keep or change it)."""
        data = self._data  # read once: the store may compact the entry meanwhile (see `compact`)
        if isinstance(data, dict):
            return clone(data)
        decoded: Obj = json.loads(self._unpack(data))
        return decoded

    def encoded(self) -> bytes:
        """The object's compact JSON, as `kubesim.records.encode` writes it."""
        data = self._data
        if isinstance(data, dict):
            return encode(data)
        return self._unpack(data)

    def _unpack(self, data: bytes) -> bytes:
        codec = self._codec
        return data if codec is None else codec.unpack(data)

    def compact(self, codec: Codec, packed: bytes) -> None:
        """Keep the compressed JSON instead of the object (`Entries` does, when it leaves the working set).
        The codec is set first: a reader that still sees the object encodes it, one that sees the bytes
        finds their codec."""
        self._codec = codec
        self._data = packed

    @property
    def size(self) -> int:
        """Bytes of the kept JSON (0 while the object is kept decoded)."""
        data = self._data
        return 0 if isinstance(data, dict) else len(data)


class Entries:
    """The entries of one store: a zlib dictionary per resource (relearnt when it fits badly), the pool
    of the label maps in use, and the working set of decoded objects, oldest first."""

    def __init__(self, *, working_set: int = WORKING_SET) -> None:
        self.working_set = working_set
        self._codecs: dict[str, Codec] = {}
        self._labels: weakref.WeakValueDictionary[tuple[Any, ...], _SharedLabels] = (
            weakref.WeakValueDictionary()
        )
        self._recent: OrderedDict[Entry, tuple[Obj, str | None]] = OrderedDict()
        """entry -> (its object, shared; the resource when the entry still keeps it decoded)"""

    def entry(self, resource: str, obj: Obj) -> Entry:
        """The entry of an object just written: it keeps `obj` (shared from now on, never mutate it)."""
        entry = Entry(None, obj, self._share((obj.get("metadata") or {}).get("labels")))
        self._remember(entry, obj, resource)
        return entry

    def shared(self, entry: Entry) -> Obj:
        """The entry's object, shared (never mutate it); decoded into the working set when not in it."""
        found = self._recent.get(entry)
        if found is None:
            obj = entry.decode()
            self._remember(entry, obj, None)
            return obj
        self._recent.move_to_end(entry)
        return found[0]

    def forget(self, entry: Entry) -> None:
        """Drop a replaced or deleted entry from the working set (it is not compressed)."""
        self._recent.pop(entry, None)

    def _remember(self, entry: Entry, obj: Obj, resource: str | None) -> None:
        recent = self._recent
        recent[entry] = (obj, resource)
        while len(recent) > self.working_set:
            oldest, (old_obj, old_resource) = recent.popitem(last=False)
            if old_resource is not None:
                self._pack(oldest, old_obj, old_resource)

    def _pack(self, entry: Entry, obj: Obj, resource: str) -> None:
        raw = encode(obj)
        codec = self._codecs.get(resource)
        packed = codec.pack(raw) if codec is not None else raw
        if codec is None or len(packed) * LEARN_RATIO > len(raw):
            codec = self._codecs[resource] = Codec(raw[:DICTIONARY_BYTES])
            packed = codec.pack(raw)
        entry.compact(codec, packed)

    def _share(self, labels: Any) -> Labels | None:
        if not labels or not isinstance(labels, dict):
            return None
        try:
            key = tuple(itertools.chain.from_iterable(labels.items()))
            shared = self._labels.get(key)
        except TypeError:  # unhashable values (refused by validation): keep them unshared
            return dict(labels)
        if shared is None:
            shared = self._labels[key] = _SharedLabels(labels)
        return shared


class ListPage:
    """One page of a list: its entries, decoded (`items`) or encoded (`raw`) on demand, the list RV and the
    continuation."""

    def __init__(
        self, entries: list[Entry], resource_version: str, continue_token: str | None, remaining: int | None
    ) -> None:
        self.entries = entries
        self.resource_version = resource_version
        self.continue_token = continue_token
        self.remaining = remaining

    @property
    def items(self) -> list[Obj]:
        """Fresh copies of the objects (each access copies again)."""
        return [entry.decode() for entry in self.entries]

    @property
    def raw(self) -> list[bytes]:
        """The objects' compact JSON."""
        return [entry.encoded() for entry in self.entries]
