"""How Slack's deliveries get in: the HTTP front and its inbox, the runner, Socket Mode, reading payloads, running each once."""
