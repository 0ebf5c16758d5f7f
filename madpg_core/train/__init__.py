"""Training loop, batching and entity-level metrics."""
