"""idemlint: find message consumers that are not safe under at-least-once delivery."""

__version__ = "0.1.0"
