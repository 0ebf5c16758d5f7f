"""Training loop and entity-level metrics (featurisation is in madpg_core.featurize)."""
