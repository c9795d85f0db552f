"""Private workforce: the Workforce API, OIDC sign-in, source-IP rules, roles, audit trail."""
