"""The Bolt listeners and what they ask of Slack about a person: who belongs to which user group, whose answers count."""
