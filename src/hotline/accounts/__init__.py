"""Who acts: organisations, users and their roles, and the audit trail of what they did."""
