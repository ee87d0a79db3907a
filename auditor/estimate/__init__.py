"""The synthetic fraction: a mixture estimate with an interval over plausible references, and each document's posterior given the corpus."""
