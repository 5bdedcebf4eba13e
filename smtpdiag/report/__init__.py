"""The presentation of a run: report model and JSON (model), HTML (html), support
summary (support), privacy (privacy), safe file writing (files), the run log (logs).

Import the module you need; this package re-exports nothing.
"""
