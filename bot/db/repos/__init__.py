"""Repositories: named queries, one class per area. All SQL of the project lives under `bot/db`."""
