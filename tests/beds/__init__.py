"""The trust suite: what the workers do to a cluster, proven on kubesim and on a real control plane."""
