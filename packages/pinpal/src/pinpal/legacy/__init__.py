"""Reading what the original PINPal stored, and moving it here."""
