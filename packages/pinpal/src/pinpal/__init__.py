"""pinpal: see the package README. Importing it does nothing else."""
