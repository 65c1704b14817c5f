"""Purpose-built outputs for the front line: fire risk list, crisis cohort, flag lookup."""
