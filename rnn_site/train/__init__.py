"""Training: one shared loop, atomic artefact writing, and one entry point per model."""
