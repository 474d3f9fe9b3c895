"""Study files and scripts, shipped inside boostreg as the package data ``boostreg.studies`` (the default
study is quickstart.toml)."""
