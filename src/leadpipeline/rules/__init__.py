"""Policy rules: scoring, qualification, timing, channels, partners, returns, SLAs."""
