"""SQL storage shared by every component."""

from tas.store.db import Database

__all__ = ["Database"]
