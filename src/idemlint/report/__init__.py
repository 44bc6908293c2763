"""Reporters: render a `RunResult` to a stream (`text` uses rich; `json` is plain)."""
