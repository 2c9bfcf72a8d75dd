"""How PINPal learns: the engine, its memory model, new secrets and the slow hash."""
