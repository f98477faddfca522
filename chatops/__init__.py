"""The composition root: the ``chatops`` command, which starts the bot, the workers, kubesim or the real
control plane, and the only package that may import all of them."""
