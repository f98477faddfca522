"""What the bot says in Slack and keeps current: replies, approval messages, job cards and their store, files, Home tab pushes."""
