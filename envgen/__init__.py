"""envgen: temporary AWS credentials, rendered exactly for the caller's shell."""

__version__ = "0.1.0"
