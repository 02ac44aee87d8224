"""Variants of a tier's settings that change one thing, so a benchmark can measure that one thing."""
