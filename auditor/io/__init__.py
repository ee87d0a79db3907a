"""Reading and writing corpora: inputs, formats (one module each), documents, problems counted by reason, record writers."""
