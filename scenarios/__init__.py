"""The YAML scenario pack; scenarios are data files shipped with the package."""
