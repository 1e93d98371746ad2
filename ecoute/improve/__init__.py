"""The learning loop: reviewed, de-identified requests make the assistant measurably better.

- ``datasets``: versioned datasets with exact lineage (task ids); stale on removal; rebuilt.
- ``lineage``: what deletion and erasure do to datasets (``mark_tasks_removed``, via the ``review_tasks_gone`` hook).
- ``evaluate`` / ``metrics`` / ``plots``: WER, intent accuracy, slot F1, unhandled rate,
  false accepts per device-hour, stored per ASR model and sentence-file version.
- ``proposals`` / ``fallback``: sentence templates from reviewed misses, accepted by a lead;
  an optional classifier for near-misses.
- ``vocabulary``: domain words for the ASR (hotwords / initial prompt).
- ``anonymity`` / ``withdrawal`` / ``accepted``: k distinct owners and a PII scan for all of the
  above; withdrawal when a deletion or erasure drops support below k; the accepted-templates file.
- ``wake_tuning``: per-device wake thresholds from false-activation evidence.
- ``loop`` / ``demo_month`` / ``household``: one improvement round; a simulated month.
"""
