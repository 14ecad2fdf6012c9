"""Demo helpers: realistic load generators for trying graphmetrics locally."""
