"""`pinpal remind`: a desktop notification when practice is due, and its timer."""
