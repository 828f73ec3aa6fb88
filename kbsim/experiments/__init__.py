"""Layer 5: what-if experiments (see docs/whatif.md)."""
