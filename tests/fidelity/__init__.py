"""The differential fidelity suite: the same requests to kubesim and to the real control plane."""
