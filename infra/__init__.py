"""The product's infrastructure: one description per stage, and what provisions it."""
