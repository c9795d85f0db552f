"""Human loop output: the output.json document, where it is stored, and status-change webhooks."""
