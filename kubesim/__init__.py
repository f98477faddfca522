"""kubesim: a Kubernetes API simulator that real kubectl and the official Python client accept."""
