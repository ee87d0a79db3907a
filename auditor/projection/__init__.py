"""Collapse projection: how far a model trained, and retrained over generations, on a corpus like this one drifts."""
