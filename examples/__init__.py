"""Examples of hosts that embed leadpipeline (run from the repository root)."""
