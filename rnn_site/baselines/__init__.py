"""Non-neural baselines that every neural model is compared against."""
