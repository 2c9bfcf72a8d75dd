"""The `pinpal` (= `secrets pin`) command line: commands, terminal, drill and wording.

Importing the package does nothing; `pinpal check` imports only quickcheck.
"""
