"""The platform seams: behaviour that changes by tier, chosen by a dotted path in settings."""
