"""The jobs that chain the stages end to end: auditor scan and auditor filter."""
