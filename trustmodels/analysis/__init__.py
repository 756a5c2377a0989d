"""What a fit says: effects and contrasts, model checks and comparison, classical analyses."""
