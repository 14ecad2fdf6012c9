"""Generic metrics from Kinesis: record decoding, name → RRD path, per-batch grouping."""
