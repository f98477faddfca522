"""RQ job functions that act on Kubernetes through the official client."""
