"""What the bot shows, as Block Kit: job cards, approval requests, pages, help and the Home tab. Pure builders, no Slack calls."""
