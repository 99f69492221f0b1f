"""STE: tool learning through simulated trial and error (Wang et al., ACL 2024).

- :class:`Explorer` explores APIs of a :class:`agents.world.ToolSet`: imagined requests, ReAct trials with
  real execution feedback, self-reflection labels, short- and long-term memory.
- :func:`judge_trials`, :func:`paraphrase`: filtering and augmentation of the trials.
- :class:`SteAgent` writes the first call of a request, with :class:`DemoRetriever` demonstrations (ICL) or
  after :func:`finetune_lora` (LoRA); :func:`continual_rounds` learns API batches with or without replay.
"""

from agents.ste.exploit import (
    DemoRetriever,
    HashingEmbedder,
    SteAgent,
    ToolExample,
    example_of,
    judge_trials,
    paraphrase,
    tool_messages,
    usable,
)
from agents.ste.explore import Call, ExploreConfig, Explorer, Trial, exploration_stats
from agents.ste.finetune import FinetuneConfig, FinetuneResult, continual_rounds, finetune_lora, replay_plan
from agents.ste.react import Step, execute, first_json_object, format_call, parse_step

__all__ = ["Call", "DemoRetriever", "ExploreConfig", "Explorer", "FinetuneConfig", "FinetuneResult",
           "HashingEmbedder", "SteAgent", "Step", "ToolExample", "Trial", "continual_rounds", "example_of",
           "execute", "exploration_stats", "finetune_lora", "first_json_object", "format_call", "judge_trials",
           "paraphrase", "parse_step", "replay_plan", "tool_messages", "usable"]
