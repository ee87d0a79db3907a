"""The corpus runner: a corpus cut into shards, fingerprinted batch by batch in this process or in workers, checkpointed for --resume, written as one table."""
