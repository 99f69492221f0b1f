"""The STE files: the 50 APIs, their descriptions, the 750 test queries, the continual-learning batches.

The files are those of ``microsoft/simulated-trial-and-error`` (MIT), found through
:func:`evaluation.harness.data.data_dir` (explicit path, ``$NESY_DATA/ste``, ``../shared/data/ste``, cache;
``nesy data fetch ste`` brings them). Only the descriptions of the 50 APIs of ``API_list.json`` are kept
(``API_descriptions.json`` describes 817).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TestQuery:
    """One gold test call of ``tool_test.json``.

    Attributes:
        id: ``"<api>#<index>"``, stable across runs.
        api: The gold API name.
        index: Position among that API's 15 queries.
        query: The user's request.
        action_input: The gold arguments as the file writes them (a JSON string).
    """

    id: str
    api: str
    index: int
    query: str
    action_input: str


@dataclass(frozen=True)
class SteData:
    """Everything the STE benchmark reads.

    Attributes:
        apis: The 50 API names, in ``API_list.json`` order.
        descriptions: API name -> its description (ToolBench JSON or BMTools text).
        tests: The test queries, API by API in ``tool_test.json`` order.
        cl_batches: The four continual-learning batches of API names.
        neighbors: API name -> the 15 candidate APIs of the paper's "oracle retriever" (gold included).
        folder: Where the files were read.
    """

    apis: tuple[str, ...]
    descriptions: dict[str, str]
    tests: tuple[TestQuery, ...]
    cl_batches: tuple[tuple[str, ...], ...]
    neighbors: dict[str, tuple[str, ...]]
    folder: Path


def load_ste(path: str | os.PathLike[str] | None = None) -> SteData:
    """Read the STE files from ``path`` or the data set's usual places.

    Raises:
        DataNotFoundError: No copy found; the message names ``nesy data fetch ste``.
    """
    from evaluation.harness.data import data_dir

    folder = data_dir("ste", path)

    def read(name: str):
        return json.loads((folder / name).read_text(encoding="utf-8"))

    apis = tuple(read("API_list.json"))
    every = read("API_descriptions.json")
    tests: list[TestQuery] = []
    for api, items in read("tool_test.json").items():
        for i, item in enumerate(items):
            tests.append(TestQuery(f"{api}#{i}", api, i, item["query"], item["action_input"]))
    neighbors = {k: tuple(v) for k, v in read("api2neighbors.json").items()}
    return SteData(apis=apis, descriptions={a: every[a] for a in apis}, tests=tuple(tests),
                   cl_batches=tuple(tuple(b) for b in read("CL_batches.json")), neighbors=neighbors, folder=folder)
