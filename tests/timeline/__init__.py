"""The incident timeline: entries, hash chain, rendering, and its Redis Streams store."""
