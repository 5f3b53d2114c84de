"""CultureCast: livestream and media-resource server for culture-cloud platforms."""

__version__ = "0.1.0"
