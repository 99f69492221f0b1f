"""Hugging Face transformers backend: a local model directory or a GGUF file, CPU or GPU, optional LoRA.

A worker thread takes what is pending from the shared :class:`~agents.llm.backends.queue.JobQueue`.
Plain greedy requests are decoded together in one left-padded ``generate`` call; sampled, seeded,
constrained or logprob requests run one ``generate`` each (``num_return_sequences=n``). Constraints are
enforced by a logits processor driven by llguidance (JSON schema, regex, choices, or GBNF grammars
converted to Lark).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from agents.llm.backends.queue import Job, JobQueue
from agents.llm.base import ChatModel, ChatRequest, Completion, TokenLogprob
from agents.llm.constraints import Choice, Constraint, Grammar, JsonSchema, Regex
from agents.llm.errors import ContextLengthError, LLMError, ModelNotFoundError, RequestError


@dataclass(eq=False)
class _Job(Job):
    ids: list[int] = field(default_factory=list)  # the prompt's token ids


def _llguidance_grammar(c: Constraint) -> str:
    from llguidance import LLMatcher

    if isinstance(c, JsonSchema):
        return LLMatcher.grammar_from_json_schema(dict(c.schema))
    if isinstance(c, Regex):
        return LLMatcher.grammar_from_regex(c.pattern)
    if isinstance(c, Choice):
        import re

        return LLMatcher.grammar_from_regex("|".join(re.escape(x) for x in c.choices))
    if isinstance(c, Grammar):
        from llguidance.gbnf_to_lark import gbnf_to_lark

        return LLMatcher.grammar_from_lark(gbnf_to_lark(c.gbnf))
    raise RequestError(f"no llguidance translation for {type(c).__name__}")


class _GuidanceProcessor:
    """A transformers LogitsProcessor masking tokens the llguidance matcher rejects (batch of one
    prompt, ``n`` rows)."""

    def __init__(self, lltok: Any, grammar: str, rows: int, prompt_len: int) -> None:
        from llguidance import LLMatcher

        self.matchers = [LLMatcher(lltok, grammar) for _ in range(rows)]
        if self.matchers[0].is_error():
            raise RequestError(f"the constraint could not be compiled: {self.matchers[0].get_error()}")
        self.prompt_len = prompt_len

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        vocab = scores.shape[-1]
        for row, m in enumerate(self.matchers):
            if input_ids.shape[1] > self.prompt_len:
                m.consume_token(int(input_ids[row, -1]))
            bits = np.frombuffer(m.compute_bitmask(), dtype=np.uint8)
            allowed = np.unpackbits(bits, bitorder="little")[:vocab].astype(bool)
            if len(allowed) < vocab:
                allowed = np.concatenate([allowed, np.zeros(vocab - len(allowed), bool)])
            scores[row, torch.from_numpy(~allowed)] = float("-inf")
        return scores


class TransformersModel(ChatModel):
    """A transformers causal LM behind the chat interface.

    Args:
        path: A model directory (``config.json``, weights, tokenizer) or a ``.gguf`` file.
        device: ``"cpu"``, ``"cuda"``, ``"cuda:1"``... (default: CUDA if available).
        dtype: torch dtype name (default float32 on CPU, bfloat16 on GPU).
        lora: Optional path of a peft LoRA adapter to load on top.
        max_batch: Most greedy requests decoded together.
        cache: The disk cache, or ``None``.
    """

    def __init__(self, path: Path, *, device: str | None = None, dtype: str | None = None,
                 lora: str | os.PathLike | None = None, max_batch: int = 8, cache: Any = None) -> None:
        super().__init__(cache=cache)
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        path = Path(path)
        if not path.exists():
            raise ModelNotFoundError(f"transformers model {path} does not exist")
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        tdtype = getattr(torch, dtype) if dtype else (torch.float32 if self.device == "cpu" else torch.bfloat16)
        kw: dict[str, Any] = {}
        if path.is_file():
            kw["gguf_file"] = path.name
            src = str(path.parent)
        else:
            src = str(path)
        self.tokenizer = AutoTokenizer.from_pretrained(src, **kw)
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        model = AutoModelForCausalLM.from_pretrained(src, dtype=tdtype, **kw)
        if lora is not None:
            from peft import PeftModel

            if not Path(lora).exists():
                raise ModelNotFoundError(f"LoRA adapter {lora} does not exist")
            model = PeftModel.from_pretrained(model, str(lora))
        self.model = model.to(self.device).eval()
        st = path.stat()
        self.identity = f"transformers:{path.resolve()}:{st.st_mtime_ns}:lora={lora}"
        self.spec = f"transformers/{path}"
        cfg = getattr(self.model, "config", None)
        self.context_length = int(getattr(cfg, "max_position_embeddings", 0) or 0) or None
        self.max_batch = max_batch
        self._eos = self._eos_ids()
        self._lltok: Any = None
        self._queue: JobQueue[_Job] = JobQueue(self.spec)
        self._thread = threading.Thread(target=self._run, name="transformers-chat", daemon=True)
        self._thread.start()

    def _eos_ids(self) -> list[int]:
        ids = {self.tokenizer.eos_token_id}
        for t in ("<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<end_of_turn>"):
            i = self.tokenizer.convert_tokens_to_ids(t)
            if isinstance(i, int) and i != self.tokenizer.unk_token_id and i is not None and i >= 0:
                ids.add(i)
        gc = getattr(self.model, "generation_config", None)
        extra = getattr(gc, "eos_token_id", None)
        if isinstance(extra, int):
            ids.add(extra)
        elif extra:
            ids.update(extra)
        return sorted(i for i in ids if i is not None)

    def prompt_ids(self, messages: Any) -> list[int]:
        tok = self.tokenizer
        if tok.chat_template:
            ids = tok.apply_chat_template(list(messages), add_generation_prompt=True, tokenize=True)
            if isinstance(ids, dict) or hasattr(ids, "input_ids"):
                ids = ids["input_ids"]
            return list(ids)
        text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
        return tok(text + "<|im_start|>assistant\n", add_special_tokens=True)["input_ids"]

    async def _generate(self, req: ChatRequest) -> list[Completion]:
        ids = self.prompt_ids(req.messages)
        if self.context_length and len(ids) >= self.context_length:
            raise ContextLengthError(f"the prompt has {len(ids)} tokens but the context window of {self.spec} "
                                     f"is {self.context_length} tokens; shorten the messages")
        return await self._queue.submit(_Job(req, ids=ids))

    def _run(self) -> None:
        queue = self._queue
        while True:
            with queue.locked():
                if not queue.wait():
                    break
                group = queue.take(1)
                if not group:
                    continue  # only cancelled requests were pending
                first = group[0]
                if _plain_greedy(first.req):
                    group += queue.take(self.max_batch - 1, accept=lambda j: _plain_greedy(j.req))
            try:
                outs = self._greedy_batch(group) if _plain_greedy(first.req) else [self._single(first)]
                for j, o in zip(group, outs, strict=True):
                    j.resolve(result=o)
            except Exception as e:
                for j in group:
                    j.resolve(exc=e if isinstance(e, LLMError) else LLMError(f"transformers failed: {e!r}"))
        for j in queue.drain():
            j.resolve(exc=LLMError(f"{self.spec} was closed"))

    def _greedy_batch(self, jobs: list[_Job]) -> list[list[Completion]]:
        import torch

        width = max(len(j.ids) for j in jobs)
        pad = self.tokenizer.pad_token_id
        input_ids = torch.tensor([[pad] * (width - len(j.ids)) + j.ids for j in jobs], device=self.device)
        attn = torch.tensor([[0] * (width - len(j.ids)) + [1] * len(j.ids) for j in jobs], device=self.device)
        steps = max(j.req.max_tokens for j in jobs)
        with torch.no_grad():
            out = self.model.generate(input_ids=input_ids, attention_mask=attn, max_new_tokens=steps,
                                      do_sample=False, eos_token_id=self._eos, pad_token_id=pad)
        res = []
        for row, j in enumerate(jobs):
            toks = out[row, width:].tolist()
            c = self._completion(j, toks, None)
            res.append([c] * j.req.n)
        return res

    def _single(self, job: _Job) -> list[Completion]:
        import torch
        from transformers import LogitsProcessorList

        req = job.req
        rows = 1 if req.greedy else req.n
        input_ids = torch.tensor([job.ids], device=self.device)
        procs = LogitsProcessorList()
        if req.constraint is not None:
            if self._lltok is None:
                from llguidance.hf import from_tokenizer

                self._lltok = from_tokenizer(self.tokenizer, n_vocab=self.model.config.vocab_size)
            procs.append(_GuidanceProcessor(self._lltok, _llguidance_grammar(req.constraint), rows, len(job.ids)))
        kw: dict[str, Any] = {"max_new_tokens": req.max_tokens, "eos_token_id": self._eos,
                              "pad_token_id": self.tokenizer.pad_token_id, "logits_processor": procs,
                              "num_return_sequences": rows, "return_dict_in_generate": True,
                              "output_logits": bool(req.logprobs)}
        if req.greedy:
            kw["do_sample"] = False
        else:
            kw.update(do_sample=True, temperature=req.temperature, top_k=0, top_p=1.0)
        with torch.no_grad():
            if req.seed is not None:
                torch.manual_seed(req.seed)
            out = self.model.generate(input_ids=input_ids, attention_mask=torch.ones_like(input_ids), **kw)
        seqs = out.sequences[:, len(job.ids):]
        comps = []
        for r in range(rows):
            toks = seqs[r].tolist()
            lps = None
            if req.logprobs:
                lps = []
                for step, logits in enumerate(out.logits):
                    if step >= len(toks):
                        break
                    lp = torch.log_softmax(logits[r].float(), dim=-1)
                    top = torch.topk(lp, req.logprobs)
                    lps.append(TokenLogprob(
                        token=self.tokenizer.decode([toks[step]]), logprob=float(lp[toks[step]]),
                        top={self.tokenizer.decode([int(t)]): float(v) for v, t in zip(top.values, top.indices,
                                                                                       strict=True)}))
            comps.append(self._completion(job, toks, lps))
        return comps if len(comps) == req.n else comps * req.n

    def _completion(self, job: _Job, toks: list[int], lps: list[TokenLogprob] | None) -> Completion:
        req = job.req
        reason = "length"
        cut = len(toks)
        for i, t in enumerate(toks):
            if t in self._eos:
                cut, reason = i, "stop"
                break
        toks = toks[: min(cut, req.max_tokens)]
        if len(toks) == req.max_tokens and reason != "stop":
            reason = "length"
        text = self.tokenizer.decode(toks, skip_special_tokens=True)
        if req.stop:
            pos = min((i for i in (text.find(s) for s in req.stop) if i >= 0), default=-1)
            if pos >= 0:
                text, reason = text[:pos], "stop"
                toks = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        if lps is not None:
            lps = lps[: len(toks)]
        return Completion(text=text, finish_reason=reason, prompt_tokens=len(job.ids),
                          completion_tokens=len(toks), logprobs=lps)

    async def aclose(self) -> None:
        self.close()

    def close(self) -> None:
        """Stop the worker thread; requests still pending fail."""
        self._queue.close()
        self._thread.join(timeout=60)


def gguf_to_hf_dir(gguf: str | os.PathLike, out: str | os.PathLike, dtype: str | None = None) -> Path:
    """Dequantize a GGUF into a transformers model directory (reloads in seconds instead of the GGUF's
    tens of seconds; vLLM and peft take it too). ``dtype``: a torch dtype name for the saved weights
    (default: transformers' float32). Returns ``out``."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf, out = Path(gguf), Path(out)
    if not gguf.is_file():
        raise ModelNotFoundError(f"GGUF file {gguf} does not exist")
    tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    kw: dict[str, Any] = {"dtype": dtype} if dtype else {}
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, **kw)
    model.hf_quantizer = None  # a plain save_pretrained refuses "quantized" models
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def _plain_greedy(req: ChatRequest) -> bool:
    return req.greedy and req.constraint is None and not req.logprobs
