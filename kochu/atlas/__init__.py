"""The atlas: places, their attributes over time, demography and travel costs.

``load_atlas()`` returns the embedded, sourced atlas of Kyrgyzstan; ``load_atlas(DIR)`` loads
any folder in the same format (``docs/atlas-format.md``).
"""

from kochu.atlas.load import Atlas, check_population_sums, default_atlas_path, load_atlas

__all__ = ["Atlas", "check_population_sums", "default_atlas_path", "load_atlas"]
