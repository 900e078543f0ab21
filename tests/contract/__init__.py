"""The adapter contract suite, run against every shipped adapter."""
