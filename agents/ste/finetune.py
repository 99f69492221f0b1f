"""Fine-tuning on exploration data with LoRA (transformers + peft), and continual learning with replay.

The paper fine-tunes all weights of 7B/13B models on 4 GPUs. Here a LoRA adapter is trained on the
transformers form of the model (a model directory, or the default model's GGUF file, which transformers
de-quantizes), on CPU or GPU; the adapter is then served by ``load_model("transformers/<base>", lora=dir)``.

Each example is the test-time request (:func:`agents.ste.exploit.tool_messages`) under the model's chat
template, followed by the call; the loss covers the call only.

Continual learning (:func:`continual_rounds`): the API batches are learned round by round, each round
continuing from the previous round's adapter, on the round's own examples plus, with replay, a random
``replay_ratio`` of each earlier round's examples (the paper: 10%).
"""

from __future__ import annotations

import math
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: A training item: the chat messages of the request, and the reply to learn.
TrainItem = tuple[list[dict[str, str]], str]


@dataclass
class FinetuneConfig:
    """LoRA fine-tuning settings.

    Attributes:
        epochs: Passes over the data (the paper: 2); ignored when ``max_steps`` is set.
        max_steps: Optimizer steps (0: from ``epochs``).
        lr: AdamW learning rate (LoRA wants more than full fine-tuning's 2e-5).
        batch_size: Examples per step.
        rank: LoRA rank.
        alpha: LoRA scaling.
        dropout: LoRA dropout.
        target_modules: Modules that get adapters.
        max_length: Tokens per example (longer prompts lose their beginning; the call is kept).
        warmup: Fraction of steps with a linear warm-up (the paper: 3%).
        seed: Shuffling and initialisation seed.
        device: ``"cpu"``, ``"cuda"``... (default: CUDA when available).
    """

    epochs: float = 2.0
    max_steps: int = 0
    lr: float = 3e-4
    batch_size: int = 8
    rank: int = 8
    alpha: int = 16
    dropout: float = 0.05
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")
    max_length: int = 1024
    warmup: float = 0.03
    seed: int = 0
    device: str | None = None


@dataclass
class FinetuneResult:
    """What a fine-tuning run produced.

    Attributes:
        adapter: The saved adapter's folder (``load_model(..., lora=adapter)``).
        examples: Training examples.
        steps: Optimizer steps.
        seconds: Training time (model loading excluded).
        load_seconds: Time to load the base model.
        seen: Examples processed (steps x batch size).
        losses: Mean loss of each step.
    """

    adapter: Path
    examples: int
    steps: int
    seconds: float
    load_seconds: float
    seen: int = 0
    losses: list[float] = field(default_factory=list)

    @property
    def examples_per_s(self) -> float:
        """Examples processed per second of training."""
        return self.seen / self.seconds if self.seconds > 0 else 0.0


def load_base(base: str | os.PathLike[str], device: str | None = None) -> tuple[Any, Any]:
    """The transformers model and tokenizer of ``base`` (a model directory or a ``.gguf`` file)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = Path(base)
    kw: dict[str, Any] = {"gguf_file": path.name} if path.is_file() else {}
    src = str(path.parent if path.is_file() else path)
    tok = AutoTokenizer.from_pretrained(src, **kw)
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    dev = device or ("cuda" if torch.cuda.is_available() else "cpu")
    model = AutoModelForCausalLM.from_pretrained(src, dtype=torch.float32 if dev == "cpu" else torch.bfloat16, **kw)
    return model.to(dev), tok


def encode(tok: Any, item: TrainItem, max_length: int) -> tuple[list[int], list[int]]:
    """Token ids and labels (-100 on the prompt) of one item, cut from the left to ``max_length``."""
    messages, reply = item
    prompt = tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    p_ids = tok(prompt, add_special_tokens=False)["input_ids"]
    r_ids = tok(reply, add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
    ids, labels = p_ids + r_ids, [-100] * len(p_ids) + r_ids
    return ids[-max_length:], labels[-max_length:]


def finetune_lora(base: str | os.PathLike[str], items: Sequence[TrainItem], out_dir: str | os.PathLike[str],
                  config: FinetuneConfig | None = None, *, init_adapter: str | os.PathLike[str] | None = None,
                  log: Callable[[str], None] | None = None) -> FinetuneResult:
    """Train a LoRA adapter on ``items`` and save it under ``out_dir``.

    Args:
        base: The base model (directory or ``.gguf``).
        items: Training items (:data:`TrainItem`).
        out_dir: Where the adapter is saved.
        config: Settings.
        init_adapter: Continue training this adapter (continual learning) instead of a fresh one.
        log: Called with a line per few steps.

    Raises:
        ValueError: No items.
    """
    import torch
    from peft import LoraConfig, PeftModel, get_peft_model

    if not items:
        raise ValueError("no training examples")
    cfg = config or FinetuneConfig()
    torch.manual_seed(cfg.seed)
    t0 = time.perf_counter()
    model, tok = load_base(base, cfg.device)
    if init_adapter is not None:
        model = PeftModel.from_pretrained(model, str(init_adapter), is_trainable=True)
    else:
        model = get_peft_model(model, LoraConfig(r=cfg.rank, lora_alpha=cfg.alpha, lora_dropout=cfg.dropout,
                                                 target_modules=list(cfg.target_modules), task_type="CAUSAL_LM"))
    load_s = time.perf_counter() - t0
    device = next(model.parameters()).device
    encoded = [encode(tok, it, cfg.max_length) for it in items]
    per_epoch = math.ceil(len(encoded) / cfg.batch_size)
    steps = cfg.max_steps or max(1, math.ceil(cfg.epochs * per_epoch))
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=cfg.lr)
    warm = max(1, int(cfg.warmup * steps))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (steps - s) / max(1, steps - warm)) if s >= warm
        else (s + 1) / warm)
    rng = random.Random(cfg.seed)
    order: list[int] = []
    losses: list[float] = []
    seen = 0
    model.train()
    t1 = time.perf_counter()
    for step in range(steps):
        batch_idx = []
        while len(batch_idx) < min(cfg.batch_size, len(encoded)):
            if not order:
                order = list(range(len(encoded)))
                rng.shuffle(order)
            batch_idx.append(order.pop())
        width = max(len(encoded[i][0]) for i in batch_idx)
        # Right padding: the loss ignores pads through labels -100 and the attention mask.
        ids = torch.full((len(batch_idx), width), tok.pad_token_id, dtype=torch.long)
        labels = torch.full((len(batch_idx), width), -100, dtype=torch.long)
        mask = torch.zeros((len(batch_idx), width), dtype=torch.long)
        for row, i in enumerate(batch_idx):
            x, y = encoded[i]
            ids[row, :len(x)], labels[row, :len(y)], mask[row, :len(x)] = torch.tensor(x), torch.tensor(y), 1
        out = model(input_ids=ids.to(device), attention_mask=mask.to(device), labels=labels.to(device))
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad()
        losses.append(float(out.loss.detach()))
        seen += len(batch_idx)
        if log and (step % 10 == 0 or step == steps - 1):
            log(f"step {step + 1}/{steps} loss {losses[-1]:.3f}")
    train_s = time.perf_counter() - t1
    out_path = Path(out_dir)
    out_path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out_path))
    return FinetuneResult(out_path, len(items), steps, train_s, load_s, seen, losses)


def replay_plan(batches: Sequence[Sequence[Any]], replay_ratio: float = 0.1, seed: int = 0) -> list[list[Any]]:
    """The training data of each continual-learning round.

    Round ``r`` trains on all of batch ``r`` plus, when ``replay_ratio > 0``, a random ``replay_ratio`` share
    (at least one example) of each earlier batch.
    """
    rng = random.Random(seed)
    plan: list[list[Any]] = []
    for r, batch in enumerate(batches):
        data = list(batch)
        if replay_ratio > 0:
            for earlier in batches[:r]:
                if earlier:
                    data += rng.sample(list(earlier), max(1, round(replay_ratio * len(earlier))))
        rng.shuffle(data)
        plan.append(data)
    return plan


def continual_rounds(base: str | os.PathLike[str], batches: Sequence[Sequence[TrainItem]],
                     out_dir: str | os.PathLike[str], config: FinetuneConfig | None = None, *,
                     replay_ratio: float = 0.1, log: Callable[[str], None] | None = None) -> list[FinetuneResult]:
    """Fine-tune round by round (each round continues the previous adapter); one result per round."""
    results: list[FinetuneResult] = []
    previous: Path | None = None
    for r, data in enumerate(replay_plan(batches, replay_ratio, (config or FinetuneConfig()).seed)):
        res = finetune_lora(base, data, Path(out_dir) / f"round{r}", config, init_adapter=previous, log=log)
        results.append(res)
        previous = res.adapter
    return results
