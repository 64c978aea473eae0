"""homelab: one config file to a GitOps-managed homelab platform, proven to work."""

__version__ = "0.1.0"
