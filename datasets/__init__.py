"""Dataset cards (one TOML file each), shipped inside boostreg as the package data ``boostreg.datasets``."""
