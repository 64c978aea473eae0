"""`homelab verify`: prove each deployed system works by doing real work through its protocol."""
