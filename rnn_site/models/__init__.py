"""PyTorch models; each application has one small module here."""
