"""The machine-text detector: scoring (numpy only), the model store, training and held-out evaluation, the known-synthetic index."""
