"""Iterative hypothesis refinement (Qiu et al., ICLR 2024): propose → select → refine with interpreters.

Example::

    import asyncio
    from agents.llm import load_model
    from agents.refinement import RefinementAgent, RefinementConfig
    from evaluation.worlds.induction.acre import acre_domain, generate_task

    task = generate_task(seed=0)
    agent = RefinementAgent(load_model("default"), acre_domain(), RefinementConfig(method="refine"))
    result = asyncio.run(agent.run(task.train, [e.input for e in task.test]))
    print(result.final_rule, result.predictions)
"""

from agents.refinement.agent import METHODS, RULE_FORMS, Hypothesis, RefinementAgent, RefinementConfig, RefinementResult

__all__ = ["METHODS", "RULE_FORMS", "Hypothesis", "RefinementAgent", "RefinementConfig", "RefinementResult"]
