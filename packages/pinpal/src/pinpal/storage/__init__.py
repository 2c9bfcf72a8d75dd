"""Where PINPal keeps things: the vault, the keyring choice, the due file, small state files."""
