"""rdssim: a discrete-event simulator of Amazon RDS high availability."""

__version__ = "0.1.0"
