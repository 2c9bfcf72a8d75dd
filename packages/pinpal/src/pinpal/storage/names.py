"""The names of PINPal's files in its state directory (``$SECRETS_HOME/pinpal``)."""

VAULT_FILE = "vault"
LISTING_FILE = "listing.json"
