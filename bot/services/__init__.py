"""Use cases: each opens its own session, takes plain values, returns plain values."""
