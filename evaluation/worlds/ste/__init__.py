"""The STE tool world (Wang et al., ACL 2024): data, tool specs, offline tools, and the paper's scoring.

- :func:`load_ste` reads the 50 APIs, their descriptions and the 750 test queries.
- :class:`SteTools` runs 33 of the APIs offline (a :class:`agents.world.ToolSet`); 17 need the internet.
- :mod:`.scoring` scores a model's first API call as the paper does (no execution).
"""

from evaluation.worlds.ste.data import SteData, TestQuery, load_ste
from evaluation.worlds.ste.specs import prompt_block, schema_of, tool_spec
from evaluation.worlds.ste.tools import FIXED_NOW, UNAVAILABLE, SteTools, simulable_names

__all__ = ["FIXED_NOW", "UNAVAILABLE", "SteData", "SteTools", "TestQuery", "load_ste", "prompt_block", "schema_of",
           "simulable_names", "tool_spec"]
