"""Cross-agency linkage: the person index asset, its plausibility check and the explicit retraining job."""
