"""RRD files: schemas, the one writer (store) and the one reader/renderer (graph)."""
