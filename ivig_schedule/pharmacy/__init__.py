"""The trial pharmacy: the randomisation list, unblinding, stock and the store that keeps them."""

STORE_NAME = "ivig-schedule.sqlite"
"""The store's file name beside a roster or a prescription (here, so that finding it does not
import sqlite3)."""
