"""vLLM backend (extra ``gpu``): the offline engine, every pending request gathered into one call.

Coroutines append their requests to the shared :class:`~agents.llm.backends.queue.JobQueue`; a flusher
task on the callers' event loop takes everything pending and makes one
``LLM.chat(conversations, sampling_params_list)`` call in a worker thread (vLLM batches continuously
inside it); requests arriving meanwhile form the next call. Written against vLLM 0.32's documented
API: ``SamplingParams(n, temperature, seed, stop, max_tokens, logprobs, structured_outputs=
StructuredOutputsParams(json|regex|choice|grammar))``, ``LLM(enable_prefix_caching=True)``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from agents.llm.backends.queue import Job, JobQueue
from agents.llm.base import ChatModel, ChatRequest, Completion, TokenLogprob
from agents.llm.constraints import Choice, Constraint, Grammar, JsonSchema, Regex
from agents.llm.errors import BackendUnavailableError, ContextLengthError, LLMError


def _import_vllm() -> Any:
    try:
        import vllm
    except ImportError as e:
        raise BackendUnavailableError(
            "the vllm backend needs vLLM on a CUDA machine: pip install 'nesykit[gpu]' (vllm==0.32.0); "
            "on CPU use 'default' (llama.cpp) or 'transformers/<path>'"
        ) from e
    return vllm


def structured_outputs(c: Constraint) -> dict[str, Any]:
    """The ``StructuredOutputsParams`` keyword arguments for a constraint (also used as the
    ``extra_body={"structured_outputs": ...}`` of an OpenAI-compatible vLLM server)."""
    if isinstance(c, JsonSchema):
        return {"json": dict(c.schema)}
    if isinstance(c, Regex):
        return {"regex": c.pattern}
    if isinstance(c, Choice):
        return {"choice": list(c.choices)}
    if isinstance(c, Grammar):
        return {"grammar": c.gbnf}
    raise LLMError(f"no vLLM structured-output mapping for {type(c).__name__}")


class VLLMModel(ChatModel):
    """A vLLM offline engine behind the chat interface.

    Args:
        model: Hugging Face model id or local path.
        gpu_memory_utilization: Fraction of GPU memory vLLM may take.
        max_model_len: Context window (default: the model's).
        tensor_parallel_size: GPUs to shard over.
        enable_prefix_caching: Reuse KV blocks of shared prompt prefixes (agents repeat long prefixes).
        max_batch: Most requests per engine call.
        engine_kwargs: Further ``vllm.LLM`` arguments.
        cache: The disk cache, or ``None``.
    """

    def __init__(self, model: str, *, gpu_memory_utilization: float = 0.85, max_model_len: int | None = None,
                 tensor_parallel_size: int = 1, enable_prefix_caching: bool = True, max_batch: int = 1024,
                 seed: int = 0, cache: Any = None, **engine_kwargs: Any) -> None:
        super().__init__(cache=cache)
        vllm = _import_vllm()
        self._vllm = vllm
        kw = dict(model=model, gpu_memory_utilization=gpu_memory_utilization,
                  tensor_parallel_size=tensor_parallel_size, enable_prefix_caching=enable_prefix_caching,
                  seed=seed, **engine_kwargs)
        if max_model_len is not None:
            kw["max_model_len"] = max_model_len
        self.llm = vllm.LLM(**kw)
        self.context_length = int(self.llm.llm_engine.model_config.max_model_len)
        self.tokenizer = self.llm.get_tokenizer()
        self.identity = f"vllm:{model}:rev={getattr(self.llm.llm_engine.model_config, 'revision', None)}"
        self.spec = f"vllm/{model}"
        self.max_batch = max_batch
        self._queue: JobQueue[Job] = JobQueue(self.spec)
        self._flusher: asyncio.Task | None = None
        self.engine_calls = 0

    def sampling_params(self, req: ChatRequest) -> Any:
        """The ``vllm.SamplingParams`` of a request."""
        from vllm.sampling_params import SamplingParams, StructuredOutputsParams

        kw: dict[str, Any] = dict(n=req.n, temperature=req.temperature, max_tokens=req.max_tokens,
                                  seed=req.seed, stop=list(req.stop) or None, logprobs=req.logprobs)
        if req.constraint is not None:
            kw["structured_outputs"] = StructuredOutputsParams(**structured_outputs(req.constraint))
        return SamplingParams(**kw)

    def prompt_tokens(self, messages: Any) -> int:
        ids = self.tokenizer.apply_chat_template(list(messages), add_generation_prompt=True, tokenize=True)
        if isinstance(ids, dict) or hasattr(ids, "input_ids"):
            ids = ids["input_ids"]
        return len(ids)

    async def _generate(self, req: ChatRequest) -> list[Completion]:
        n_prompt = self.prompt_tokens(req.messages)
        if n_prompt >= self.context_length:
            raise ContextLengthError(f"the prompt has {n_prompt} tokens but the context window of {self.spec} "
                                     f"is {self.context_length} tokens (max_model_len); shorten the messages")
        job = Job(req)
        self._queue.put(job)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_loop())
        return await job.future

    async def _flush_loop(self) -> None:
        while self._queue.pending:
            await asyncio.sleep(0)  # let every coroutine that is ready enqueue its request
            with self._queue.locked():
                batch = self._queue.take(self.max_batch)
            if not batch:
                continue
            convs = [list(p.req.messages) for p in batch]
            params = [self.sampling_params(p.req) for p in batch]
            try:
                outs = await asyncio.to_thread(self.llm.chat, convs, params, use_tqdm=False)
                self.engine_calls += 1
            except Exception as e:  # surfaced to each caller
                err = e if isinstance(e, LLMError) else LLMError(f"vLLM failed: {e!r}")
                for p in batch:
                    p.resolve(exc=err)
                continue
            for p, out in zip(batch, outs, strict=True):
                p.resolve(result=self._completions(p.req, out))

    def _completions(self, req: ChatRequest, out: Any) -> list[Completion]:
        n_prompt = len(out.prompt_token_ids or [])
        res = []
        for o in out.outputs:
            lps = None
            if req.logprobs and o.logprobs is not None:
                lps = []
                for tok, pos in zip(o.token_ids, o.logprobs, strict=False):
                    chosen = pos.get(tok)
                    top = sorted(pos.items(), key=lambda kv: -kv[1].logprob)[: req.logprobs]
                    lps.append(TokenLogprob(
                        token=(chosen.decoded_token if chosen is not None else self.tokenizer.decode([tok])) or "",
                        logprob=float(chosen.logprob) if chosen is not None else float("-inf"),
                        top={(lp.decoded_token or str(t)): float(lp.logprob) for t, lp in top}))
            reason = "length" if o.finish_reason == "length" else "stop"
            res.append(Completion(text=o.text, finish_reason=reason, prompt_tokens=n_prompt,
                                  completion_tokens=len(o.token_ids), logprobs=lps))
        return res

    async def aclose(self) -> None:
        self._queue.close()  # later requests fail at once; those already queued are still answered
        if self._flusher is not None:
            await asyncio.gather(self._flusher, return_exceptions=True)
        self.llm = None  # the engine shuts down when collected
