"""Signal-processing pieces of voice disguise: framing, LPC / McAdams, pitch shift, re-voicing.

Kept apart from :mod:`ecoute.privacy.disguise` (the policy-facing entry point) so each
piece can be tested and benchmarked on its own.
"""
