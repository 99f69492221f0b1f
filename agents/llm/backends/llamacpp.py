"""llama.cpp backend, the chat side: messages → prompt tokens, constraint → grammar, replies → completions.

The decoding itself (KV slots, one ``llama_batch`` over every running sequence, prompt-prefix reuse)
is :class:`~agents.llm.backends.llamacpp_scheduler.BatchScheduler`; this module loads the GGUF, renders
its chat template, tokenizes, and turns the scheduler's byte outputs into
:class:`~agents.llm.base.Completion` objects (stop strings cut, UTF-8 decoded).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from agents.llm.backends.llamacpp_scheduler import BatchScheduler, DecodeJob, L, SeqOutput, init_backend, token_text
from agents.llm.base import ChatModel, ChatRequest, Completion
from agents.llm.errors import ContextLengthError, LLMError, ModelNotFoundError


def default_threads() -> int:
    """All cores, or 1 when the machine is already busy (1-minute load average >= cores).

    ggml's threads spin at their barriers, so with more busy processes than cores they collapse:
    measured here under load 9-11 on 2 cores, 2 threads gave 0.2-1.3 tok/s and 1 thread 10-25 tok/s.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        busy = os.getloadavg()[0] >= cores
    except OSError:
        busy = False
    return 1 if busy else cores


def model_params(path: Path) -> Any:
    """Default model parameters, with llama.cpp's extra buffer types only where they are safe.

    The extra buffer types repack the weights for the AMX/VNNI kernels (about 2x faster decoding
    here); with a llama.cpp built by GCC 12 without ``scripts/gcc-amx-fix`` they crash the process, so
    :func:`~agents.llm.backends.llamacpp_buffers.extra_buffers_usable` decides (a probe, remembered).
    """
    from agents.llm.backends.llamacpp_buffers import extra_buffers_usable

    p = L.llama_model_default_params()
    p.use_extra_bufts = extra_buffers_usable(Path(path))
    return p


def render_chat(template: str | None, messages: list[dict[str, Any]], bos: str, eos: str) -> str:
    """Render messages with a GGUF's Jinja chat template (ChatML when the file has none)."""
    if not template:
        parts = [f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages]
        return "".join(parts) + "<|im_start|>assistant\n"
    import jinja2.sandbox

    env = jinja2.sandbox.ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)

    def raise_exception(msg: str) -> None:
        raise LLMError(f"the model's chat template rejected the messages: {msg}")

    env.globals["raise_exception"] = raise_exception
    return env.from_string(template).render(messages=messages, add_generation_prompt=True,
                                            bos_token=bos, eos_token=eos)


class LlamaCppModel(ChatModel):
    """SmolLM2 (or any GGUF) on llama.cpp, many requests decoded together.

    Args:
        path: The GGUF file.
        n_ctx: Context window per sequence (prompt + reply), capped at the model's training length.
        max_batch: Sequences decoded together (KV slots). Requests beyond this wait.
        n_threads: CPU threads (default: ``$NESY_LLM_THREADS``, else :func:`default_threads`).
        n_batch: Most tokens per ``llama_decode`` call (prompt chunks + one per running sequence).
        flash_attn: Use flash attention (off by default, as in llama-cpp-python).
        reuse_prefix: Take the KV of a prompt's start from a finished or running request with the same
            start instead of computing it again (same logits up to rounding).
        cache: The disk cache, or ``None``.
    """

    def __init__(self, path: Path, *, n_ctx: int = 2048, max_batch: int = 8, n_threads: int | None = None,
                 n_batch: int = 512, flash_attn: bool = False, reuse_prefix: bool = True, cache: Any = None) -> None:
        super().__init__(cache=cache)
        path = Path(path)
        if not path.is_file():
            raise ModelNotFoundError(f"GGUF file {path} does not exist")
        init_backend()
        st = path.stat()
        self.identity = f"llamacpp:{path.resolve()}:{st.st_size}:{int(st.st_mtime)}"
        self.spec = f"llamacpp/{path}"
        self.path = path
        self._closed = True  # until the scheduler runs: __del__ must not free half a model
        self._model = L.llama_model_load_from_file(str(path).encode(), model_params(path))
        if not self._model:
            raise ModelNotFoundError(f"llama.cpp could not load {path} (not a GGUF model file?)")
        self._vocab = L.llama_model_get_vocab(self._model)
        self.n_vocab = L.llama_vocab_n_tokens(self._vocab)
        self.n_ctx_train = L.llama_model_n_ctx_train(self._model)
        threads = int(n_threads or os.environ.get("NESY_LLM_THREADS") or default_threads())
        try:
            self._scheduler = BatchScheduler(
                self._model, name=self.spec,
                n_ctx=min(int(n_ctx), self.n_ctx_train) if self.n_ctx_train > 0 else int(n_ctx),
                max_batch=max_batch, n_batch=n_batch, n_threads=threads, flash_attn=flash_attn,
                reuse_prefix=reuse_prefix)
        except LLMError:
            L.llama_model_free(self._model)
            raise
        self._closed = False
        self.context_length = self._scheduler.context_length
        self.max_batch = self._scheduler.max_batch
        self.n_batch = self._scheduler.n_batch
        self.n_threads = threads
        tmpl = L.llama_model_chat_template(self._model, None)
        self.chat_template = tmpl.decode("utf-8") if tmpl else None
        self._bos_id = L.llama_vocab_bos(self._vocab)
        self._eos_id = L.llama_vocab_eos(self._vocab)
        self._add_bos = bool(L.llama_vocab_get_add_bos(self._vocab))
        self._bos_text = self.token_text(self._bos_id) if self._bos_id >= 0 else ""
        self._eos_text = self.token_text(self._eos_id) if self._eos_id >= 0 else ""

    # -- the scheduler's knobs and counters, read and set on the model (nesy llm bench, tests) ----------

    @property
    def reuse_prefix(self) -> bool:
        """Whether prompt-prefix KV is reused (may be switched between requests)."""
        return self._scheduler.reuse_prefix

    @reuse_prefix.setter
    def reuse_prefix(self, value: bool) -> None:
        self._scheduler.reuse_prefix = bool(value)

    @property
    def prompt_tokens_total(self) -> int:
        """Prompt tokens of every request admitted so far (siblings of ``n > 1`` counted once)."""
        return self._scheduler.prompt_tokens_total

    @property
    def prompt_tokens_reused(self) -> int:
        """Of :attr:`prompt_tokens_total`, those whose KV was reused instead of computed."""
        return self._scheduler.prompt_tokens_reused

    # -- tokenizer ---------------------------------------------------------------------------------

    def token_text(self, tok: int, special: bool = True) -> str:
        """The text of token ``tok`` (``special``: render control tokens too)."""
        return token_text(self._vocab, tok, special)

    def tokenize(self, text: str, add_special: bool = True) -> list[int]:
        """The model's tokens of ``text`` (special-token text such as ``<|im_start|>`` parsed as such)."""
        data = text.encode("utf-8")
        cap = len(data) + 16
        arr = (L.llama_token * cap)()
        n = L.llama_tokenize(self._vocab, data, len(data), arr, cap, add_special, True)
        if n < 0:
            cap = -n
            arr = (L.llama_token * cap)()
            n = L.llama_tokenize(self._vocab, data, len(data), arr, cap, add_special, True)
        return list(arr[:n])

    def render(self, messages: list[dict[str, Any]] | tuple[dict[str, Any], ...]) -> str:
        """The prompt text for ``messages`` (the GGUF's chat template)."""
        return render_chat(self.chat_template, list(messages), self._bos_text, self._eos_text)

    def prompt_tokens(self, messages: Any) -> list[int]:
        """The prompt tokens for ``messages``: the rendered template, BOS added once if the model wants it."""
        text = self.render(messages)
        add_bos = self._add_bos and not (self._bos_text and text.startswith(self._bos_text))
        toks = self.tokenize(text, add_special=False)
        return ([self._bos_id] if add_bos else []) + toks

    # -- public ------------------------------------------------------------------------------------

    async def _generate(self, req: ChatRequest) -> list[Completion]:
        if self._closed:  # checked before tokenizing: the vocabulary is freed with the model
            raise LLMError(f"{self.spec} is closed")
        prompt = self.prompt_tokens(req.messages)
        if len(prompt) >= self.context_length:
            raise ContextLengthError(
                f"the prompt has {len(prompt)} tokens but the context window of {self.spec} is "
                f"{self.context_length} tokens per request (load_model(..., n_ctx=N) raises it up to the "
                f"model's training length {self.n_ctx_train}); shorten the messages"
            )
        grammar = None
        if req.constraint is not None:
            from agents.llm.gbnf import to_gbnf

            grammar = to_gbnf(req.constraint)
        # Greedy replies are identical: decode one and copy it.
        job = DecodeJob(req, prompt=prompt, grammar=grammar, n_decode=1 if req.greedy else req.n)
        outs = [self._completion(req, len(prompt), o) for o in await self._scheduler.submit(job)]
        return outs if len(outs) == req.n else [outs[0]] * req.n

    @staticmethod
    def _completion(req: ChatRequest, prompt_tokens: int, out: SeqOutput) -> Completion:
        # Bytes cut inside a UTF-8 character (max_tokens reached mid-character) are dropped.
        text = out.data.decode("utf-8", errors="ignore")
        if out.finish_reason == "stop" and req.stop:
            cut = min((i for i in (text.find(x) for x in req.stop) if i >= 0), default=-1)
            if cut >= 0:
                text = text[:cut]
        return Completion(text=text, finish_reason=out.finish_reason, prompt_tokens=prompt_tokens,
                          completion_tokens=out.tokens, logprobs=out.logprobs)

    async def aclose(self) -> None:
        self.close()

    def close(self) -> None:
        """Stop the decode thread and free the llama.cpp context and model."""
        if self._closed:
            return
        self._closed = True
        self._scheduler.close()
        L.llama_model_free(self._model)

    def __del__(self) -> None:  # pragma: no cover - best effort
        try:
            if not self._closed:
                self.close()
        except Exception:
            pass


def raw_llama(path: Path, n_ctx: int = 2048, n_threads: int | None = None, flash_attn: bool = False) -> Any:
    """A plain ``llama_cpp.Llama`` on the same file (the baseline of ``nesy llm bench``).

    Loaded with :func:`model_params` (extra buffer types only where safe), which ``Llama`` does not
    expose: its call to ``llama_model_default_params`` is redirected for the duration of the constructor.
    """
    import llama_cpp.llama as high

    init_backend()
    params = model_params(path)
    orig = high.llama_cpp.llama_model_default_params
    high.llama_cpp.llama_model_default_params = lambda: params
    try:
        threads = n_threads or os.cpu_count()
        return L.Llama(model_path=str(path), n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads,
                       verbose=False, flash_attn=flash_attn)
    finally:
        high.llama_cpp.llama_model_default_params = orig

