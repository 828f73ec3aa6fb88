"""Layer 6: explanations, traces, graph exports and plots."""
