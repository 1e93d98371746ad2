"""The services behind the owner-zone server: ingest, pairing, privacy actions, jobs' glue.

Routes in ``ecoute/server/routes`` stay thin and call these; the CLI and the demo call
the same functions, so there is one path for a turn whether it comes over HTTP or not.
"""
