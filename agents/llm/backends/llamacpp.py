"""llama.cpp backend: batched decoding of all pending requests over the low-level ``llama_batch`` API.

One decode thread owns the llama context. Coroutines hand it requests; each step it builds one
``llama_batch`` holding the next token of every running sequence plus a chunk of any prompt still
being prefilled, calls ``llama_decode`` once (the GIL is released), and samples every sequence with
its own llama.cpp sampler chain (grammar → greedy, or grammar → temperature → seeded dist). The KV
cache has one stream per sequence slot (``n_seq_max = max_batch``), each ``n_ctx`` tokens long.
``n > 1`` replies share one prefill: the prompt's KV is copied to the sibling slots. A finished
sequence leaves its prompt's KV in its slot; a later prompt that starts with the same tokens (the next
turn of a conversation, another question about the same examples) takes that slot and prefills only
the rest. Requests that start alike and arrive together share one prefill the same way. Logits match
a full prefill up to the rounding that batching itself brings (llama.cpp rounds a row slightly
differently depending on the rows batched with it).
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from agents.llm.backends import resolve_from_thread
from agents.llm.base import ChatModel, ChatRequest, Completion, TokenLogprob
from agents.llm.errors import BackendUnavailableError, ContextLengthError, LLMError, ModelNotFoundError

try:
    import llama_cpp as L
except ImportError as e:  # pragma: no cover - llama-cpp-python is a core dependency
    raise BackendUnavailableError(
        "the llamacpp backend needs llama-cpp-python (pip install llama-cpp-python; scripts/setup.sh "
        "builds it from source in about 4 minutes)"
    ) from e

_backend_lock = threading.Lock()
_backend_ready = False


def _init_backend() -> None:
    global _backend_ready
    with _backend_lock:
        if not _backend_ready:
            L.llama_backend_init()
            _silence_logs()
            _backend_ready = True


_LOG_CB = None


def _silence_logs() -> None:
    """llama.cpp logs every load to stderr; keep errors only."""
    global _LOG_CB

    @L.llama_log_callback
    def cb(level: int, text: bytes, user_data: Any) -> None:  # pragma: no cover - C callback
        if level == 3:  # GGML_LOG_LEVEL_ERROR
            os.write(2, text)

    _LOG_CB = cb  # keep a reference: the C side stores the pointer
    L.llama_log_set(cb, ctypes.c_void_p(0))


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


@dataclass(eq=False)
class _Job:
    """One request as the decode thread sees it."""

    req: ChatRequest
    prompt: list[int]
    future: asyncio.Future
    loop: asyncio.AbstractEventLoop
    grammar: str | None
    results: list[Completion | None] = field(default_factory=list)
    remaining: int = 0  # sequences not yet admitted
    running: int = 0  # sequences admitted and not finished
    next_index: int = 0


@dataclass(eq=False)
class _Seq:
    """One sequence (one reply) occupying a KV slot."""

    job: _Job
    index: int
    slot: int
    sampler: Any
    pos: int = 0  # tokens in the KV cache for this slot
    prefill_done: int = 0  # prompt tokens already submitted
    leader: _Seq | None = None  # sibling that prefills the shared prompt
    followers: list[_Seq] = field(default_factory=list)
    out_tokens: list[int] = field(default_factory=list)
    out_bytes: bytearray = field(default_factory=bytearray)
    logprobs: list[TokenLogprob] | None = None
    batch_idx: int = -1  # where this sequence's logits are in the current batch
    state: str = "prefill"  # prefill | wait | decode | done
    pending_token: int = -1  # the sampled token still to be fed


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
        _init_backend()
        st = path.stat()
        self.identity = f"llamacpp:{path.resolve()}:{st.st_size}:{int(st.st_mtime)}"
        self.spec = f"llamacpp/{path}"
        self.path = path
        mparams = model_params(path)
        self._model = L.llama_model_load_from_file(str(path).encode(), mparams)
        if not self._model:
            raise ModelNotFoundError(f"llama.cpp could not load {path} (not a GGUF model file?)")
        self._vocab = L.llama_model_get_vocab(self._model)
        self.n_vocab = L.llama_vocab_n_tokens(self._vocab)
        n_train = L.llama_model_n_ctx_train(self._model)
        self.context_length = min(int(n_ctx), n_train) if n_train > 0 else int(n_ctx)
        self.max_batch = int(max_batch)
        self.n_batch = max(int(n_batch), self.max_batch)
        threads = int(n_threads or os.environ.get("NESY_LLM_THREADS") or default_threads())

        cparams = L.llama_context_default_params()
        cparams.n_ctx = self.context_length * self.max_batch
        cparams.n_batch = self.n_batch
        cparams.n_ubatch = self.n_batch
        cparams.n_seq_max = self.max_batch
        cparams.n_threads = threads
        cparams.n_threads_batch = threads
        cparams.kv_unified = False
        cparams.flash_attn_type = 1 if flash_attn else 0  # LLAMA_FLASH_ATTN_TYPE_{ENABLED,DISABLED}
        cparams.no_perf = True
        self._ctx = L.llama_init_from_model(self._model, cparams)
        if not self._ctx:
            L.llama_model_free(self._model)
            raise LLMError(f"llama.cpp could not create a context of {cparams.n_ctx} tokens for {path}")
        self.context_length = L.llama_n_ctx_seq(self._ctx)
        self.n_threads = threads
        self._mem = L.llama_get_memory(self._ctx)
        self._batch = L.llama_batch_init(self.n_batch, 0, 1)
        tmpl = L.llama_model_chat_template(self._model, None)
        self.chat_template = tmpl.decode("utf-8") if tmpl else None
        self._bos_id = L.llama_vocab_bos(self._vocab)
        self._eos_id = L.llama_vocab_eos(self._vocab)
        self._add_bos = bool(L.llama_vocab_get_add_bos(self._vocab))
        self._bos_text = self.token_text(self._bos_id) if self._bos_id >= 0 else ""
        self._eos_text = self.token_text(self._eos_id) if self._eos_id >= 0 else ""
        self._piece_buf = ctypes.create_string_buffer(256)
        self._pending: deque[_Job] = deque()
        self._cv = threading.Condition()
        self._closed = False
        self._free_slots = list(range(self.max_batch))  # least recently used first
        # Tokens whose KV each free slot still holds: a new prompt that starts with them skips their
        # prefill (agents resend a growing conversation; refine rounds repeat the task's examples).
        self._slot_tokens: list[list[int]] = [[] for _ in range(self.max_batch)]
        self.reuse_prefix = bool(reuse_prefix)
        self.prompt_tokens_total = 0
        self.prompt_tokens_reused = 0
        self._seqs: list[_Seq] = []
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=f"llamacpp-{path.name}", daemon=True)
        self._thread.start()

    # -- tokenizer ---------------------------------------------------------------------------------

    def token_text(self, tok: int, special: bool = True) -> str:
        buf = ctypes.create_string_buffer(256)
        n = L.llama_token_to_piece(self._vocab, tok, buf, len(buf), 0, special)
        return buf.raw[: max(n, 0)].decode("utf-8", errors="replace")

    def tokenize(self, text: str, add_special: bool = True) -> list[int]:
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
        text = self.render(messages)
        add_bos = self._add_bos and not (self._bos_text and text.startswith(self._bos_text))
        toks = self.tokenize(text, add_special=False)
        return ([self._bos_id] if add_bos else []) + toks

    # -- public ------------------------------------------------------------------------------------

    async def _generate(self, req: ChatRequest) -> list[Completion]:
        if self._closed:
            raise LLMError(f"{self.spec} is closed")
        prompt = self.prompt_tokens(req.messages)
        if len(prompt) >= self.context_length:
            raise ContextLengthError(
                f"the prompt has {len(prompt)} tokens but the context window of {self.spec} is "
                f"{self.context_length} tokens per request (load_model(..., n_ctx=N) raises it up to the "
                f"model's training length {L.llama_model_n_ctx_train(self._model)}); shorten the messages"
            )
        grammar = None
        if req.constraint is not None:
            from agents.llm.gbnf import to_gbnf

            grammar = to_gbnf(req.constraint)
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        # Greedy replies are identical: decode one and copy it.
        n_decode = 1 if req.greedy else req.n
        job = _Job(req=req, prompt=prompt, future=fut, loop=loop, grammar=grammar,
                   results=[None] * n_decode, remaining=n_decode)
        with self._cv:
            if self._failure is not None:
                raise LLMError(f"the llama.cpp decode thread failed: {self._failure!r}")
            self._pending.append(job)
            self._cv.notify()
        outs = await fut
        return outs if len(outs) == req.n else [outs[0]] * req.n

    async def aclose(self) -> None:
        self.close()

    def close(self) -> None:
        """Stop the decode thread and free the llama.cpp context and model."""
        if self._closed:
            return
        with self._cv:
            self._closed = True
            self._cv.notify()
        self._thread.join()
        L.llama_batch_free(self._batch)
        L.llama_free(self._ctx)
        L.llama_model_free(self._model)

    def __del__(self) -> None:  # pragma: no cover - best effort
        try:
            if not self._closed:
                self.close()
        except Exception:
            pass

    # -- decode thread -----------------------------------------------------------------------------

    def _make_sampler(self, job: _Job, index: int) -> Any:
        req = job.req
        chain = L.llama_sampler_chain_init(L.llama_sampler_chain_default_params())
        if job.grammar is not None:
            g = L.llama_sampler_init_grammar(self._vocab, job.grammar.encode("utf-8"), b"root")
            if not g:
                L.llama_sampler_free(chain)
                raise LLMError(f"llama.cpp rejected the grammar built from the constraint:\n{job.grammar}")
            L.llama_sampler_chain_add(chain, g)
        if req.greedy:
            L.llama_sampler_chain_add(chain, L.llama_sampler_init_greedy())
        else:
            seed = (req.seed + index) if req.seed is not None else int.from_bytes(os.urandom(4), "little")
            L.llama_sampler_chain_add(chain, L.llama_sampler_init_temp(req.temperature))
            L.llama_sampler_chain_add(chain, L.llama_sampler_init_dist(seed & 0xFFFFFFFF))
        return chain

    #: Tokens of prefill a waiting request must save to be held back until a running prompt with the
    #: same start has been prefilled (its KV is then copied instead of computed again).
    SHARE_MIN = 32

    def _admit(self) -> None:
        """Give free KV slots to waiting sequences, reusing prompt KV wherever a prefix matches.

        Siblings of one request (``n > 1``) share its prefill. A request whose prompt starts like one
        being prefilled right now (IO prompting asks about every unseen input with the same examples)
        waits for that prefill and copies its KV; later requests are admitted meanwhile.
        """
        i = 0
        while self._free_slots and i < len(self._pending):
            job = self._pending[i]
            if job.future.cancelled():
                del self._pending[i]
                continue
            slot, keep = self._best_slot(job.prompt)
            src, now, later = self._running_prefix(job.prompt)
            if later - max(now, keep) >= self.SHARE_MIN:
                i += 1  # held back: the shared prefix is still being prefilled
                continue
            copy_from = src if now > keep else None
            if copy_from is not None:
                slot, keep = self._free_slots[0], now
            leader: _Seq | None = None
            while self._free_slots and job.remaining > 0:
                if leader is not None:  # siblings get the leader's KV copied once it has prefilled
                    slot, keep, copy_from = self._free_slots[0], 0, None
                self._free_slots.remove(slot)
                if copy_from is not None:
                    # Across KV streams llama.cpp copies whole streams; the tail past the prefix is cut.
                    L.llama_memory_seq_rm(self._mem, slot, -1, -1)
                    L.llama_memory_seq_cp(self._mem, copy_from.slot, slot, -1, -1)
                    L.llama_memory_seq_rm(self._mem, slot, keep, -1)
                else:
                    L.llama_memory_seq_rm(self._mem, slot, keep if keep > 0 else -1, -1)
                self._slot_tokens[slot] = []
                try:
                    sampler = self._make_sampler(job, job.next_index)
                except LLMError as e:
                    self._free_slots.insert(0, slot)
                    self._pending.remove(job)
                    self._resolve(job, exc=e)
                    break
                seq = _Seq(job=job, index=job.next_index, slot=slot, sampler=sampler, pos=keep, prefill_done=keep)
                if leader is None:
                    self.prompt_tokens_total += len(job.prompt)
                    self.prompt_tokens_reused += keep
                if job.req.logprobs:
                    seq.logprobs = []
                job.next_index += 1
                job.remaining -= 1
                job.running += 1
                if leader is None:
                    leader = seq
                else:
                    seq.leader, seq.state = leader, "wait"
                    leader.followers.append(seq)
                self._seqs.append(seq)
            if job.remaining == 0 and job in self._pending:
                self._pending.remove(job)
            elif job.remaining > 0:
                break  # out of slots; keep the order

    @staticmethod
    def _common_prefix(a: list[int], b: list[int], n: int) -> int:
        """Length of the common prefix of ``a[:n]`` and ``b[:n]``."""
        n = min(n, len(a), len(b))
        if n <= 0:
            return 0
        diff = np.flatnonzero(np.asarray(a[:n]) != np.asarray(b[:n]))
        return int(diff[0]) if diff.size else n

    def _best_slot(self, prompt: list[int]) -> tuple[int, int]:
        """The free slot whose kept KV shares the longest prefix with ``prompt``, and how many tokens to keep.

        At least the prompt's last token is decoded again, since its logits give the first reply token.
        Without a useful match the least recently used slot is taken, so recent prefixes live longest.
        """
        best, best_len = self._free_slots[0], 0
        for slot in self._free_slots if self.reuse_prefix else ():
            common = self._common_prefix(self._slot_tokens[slot], prompt, len(prompt) - 1)
            if common > best_len:
                best, best_len = slot, common
        return best, best_len

    def _running_prefix(self, prompt: list[int]) -> tuple[_Seq | None, int, int]:
        """The running sequence whose prompt KV shares the most with ``prompt``: (it, tokens shareable now,
        tokens shareable once every prefill in flight is done)."""
        best, now, later = None, 0, 0
        for s in self._seqs if self.reuse_prefix else ():
            if s.leader is not None:
                continue  # a sibling holds the same prompt as its leader
            common = self._common_prefix(s.job.prompt, prompt, len(prompt) - 1)
            avail = min(common, s.prefill_done)
            if avail > now:
                best, now = s, avail
            later = max(later, common)
        return best, now, later

    def _run(self) -> None:
        try:
            while True:
                with self._cv:
                    while not self._closed and not self._pending and not self._seqs:
                        self._cv.wait()
                    if self._closed:
                        break
                    self._admit()
                self._step()
        except BaseException as e:  # pragma: no cover - surfaced to every waiting caller
            with self._cv:
                self._failure = e
                jobs = {s.job for s in self._seqs} | set(self._pending)
                self._seqs.clear()
                self._pending.clear()
            for job in jobs:
                self._resolve(job, exc=LLMError(f"llama.cpp decoding failed: {e!r}"))
        finally:
            for s in self._seqs:
                L.llama_sampler_free(s.sampler)
            for job in {s.job for s in self._seqs} | set(self._pending):
                self._resolve(job, exc=LLMError(f"{self.spec} was closed while this request was pending"))
            self._seqs.clear()

    def _step(self) -> None:
        b = self._batch
        n = 0
        budget = self.n_batch
        # Cancelled requests free their slots first.
        for s in list(self._seqs):
            if s.job.future.cancelled():
                self._finish(s, None)
        decoding = [s for s in self._seqs if s.state == "decode"]
        for s in decoding:
            b.token[n] = s.pending_token
            b.pos[n] = s.pos
            b.n_seq_id[n] = 1
            b.seq_id[n][0] = s.slot
            b.logits[n] = 1
            s.batch_idx = n
            s.pos += 1
            n += 1
        budget -= n
        for s in self._seqs:
            if s.state != "prefill" or budget <= 0:
                continue
            prompt = s.job.prompt
            take = min(budget, len(prompt) - s.prefill_done)
            for k in range(take):
                b.token[n] = prompt[s.prefill_done + k]
                b.pos[n] = s.pos + k
                b.n_seq_id[n] = 1
                b.seq_id[n][0] = s.slot
                b.logits[n] = 0
                n += 1
            s.prefill_done += take
            s.pos += take
            budget -= take
            if s.prefill_done == len(prompt):
                b.logits[n - 1] = 1
                s.batch_idx = n - 1
                s.state = "first"
            else:
                s.batch_idx = -1
        if n == 0:
            return
        b.n_tokens = n
        active = [s for s in self._seqs if s.state in ("decode", "first")]
        rc = L.llama_decode(self._ctx, b)
        if rc != 0:
            raise LLMError(f"llama_decode returned {rc} (batch of {n} tokens)")
        for s in active:
            if s.state == "decode" or s.state == "first":
                if s.state == "first":
                    s.state = "decode"
                    for f in s.followers:  # share the prompt's KV and its next-token logits
                        L.llama_memory_seq_cp(self._mem, s.slot, f.slot, -1, -1)
                        f.pos, f.batch_idx, f.state = s.pos, s.batch_idx, "decode"
                        f.prefill_done = s.prefill_done  # its slot holds the prompt's KV too
                        self._sample(f)
                self._sample(s)

    def _sample(self, s: _Seq) -> None:
        if s.state != "decode":
            return
        tok = L.llama_sampler_sample(s.sampler, self._ctx, s.batch_idx)
        if s.logprobs is not None:
            s.logprobs.append(self._logprob(s.batch_idx, tok, s.job.req.logprobs or 1))
        req = s.job.req
        if L.llama_vocab_is_eog(self._vocab, tok):
            return self._finish(s, "stop")
        n = L.llama_token_to_piece(self._vocab, tok, self._piece_buf, 256, 0, False)
        s.out_tokens.append(tok)
        s.out_bytes += self._piece_buf.raw[: max(n, 0)]
        if req.stop:
            tail = bytes(s.out_bytes[-(max(len(x.encode()) for x in req.stop) + max(n, 0) + 4):])
            if any(x.encode() in tail for x in req.stop):
                return self._finish(s, "stop")
        if len(s.out_tokens) >= req.max_tokens or s.pos >= self.context_length:
            return self._finish(s, "length")
        s.pending_token = tok

    def _logprob(self, idx: int, tok: int, k: int) -> TokenLogprob:
        ptr = L.llama_get_logits_ith(self._ctx, idx)
        logits = np.ctypeslib.as_array(ptr, shape=(self.n_vocab,)).astype(np.float64)
        m = logits.max()
        logz = m + np.log(np.exp(logits - m).sum())
        top = np.argpartition(-logits, k - 1)[:k]
        top = top[np.argsort(-logits[top])]
        return TokenLogprob(token=self.token_text(tok, special=False), logprob=float(logits[tok] - logz),
                            top={self.token_text(int(t), special=False): float(logits[t] - logz) for t in top})

    def _finish(self, s: _Seq, reason: str | None) -> None:
        self._seqs.remove(s)
        L.llama_sampler_free(s.sampler)
        # The slot keeps the prompt's KV for a later prompt with the same start. Only the prompt: the
        # reply's KV was computed one row at a time, and llama.cpp's one-row kernels round differently
        # from its batch kernels (a tail logprob moved by 0.06 after 16 tokens), whereas a prompt prefix
        # computed in a batch gives the logits a full prefill gives (bit for bit in the tests here).
        self._slot_tokens[s.slot] = s.job.prompt[: min(s.pos, s.prefill_done)]
        self._free_slots.append(s.slot)
        s.state = "done"
        job = s.job
        job.running -= 1
        if reason is None:
            return
        text = s.out_bytes.decode("utf-8", errors="ignore")
        if reason == "stop" and job.req.stop:
            cut = min((i for i in (text.find(x) for x in job.req.stop) if i >= 0), default=-1)
            if cut >= 0:
                text = text[:cut]
        job.results[s.index] = Completion(text=text, finish_reason=reason, prompt_tokens=len(job.prompt),
                                          completion_tokens=len(s.out_tokens), logprobs=s.logprobs)
        if job.running == 0 and job.remaining == 0:
            self._resolve(job, result=list(job.results))

    @staticmethod
    def _resolve(job: _Job, result: Any = None, exc: BaseException | None = None) -> None:
        resolve_from_thread(job.loop, job.future, result, exc)


def raw_llama(path: Path, n_ctx: int = 2048, n_threads: int | None = None, flash_attn: bool = False) -> Any:
    """A plain ``llama_cpp.Llama`` on the same file (the baseline of ``nesy llm bench``).

    Loaded with :func:`model_params` (extra buffer types only where safe), which ``Llama`` does not
    expose: its call to ``llama_model_default_params`` is redirected for the duration of the constructor.
    """
    import llama_cpp.llama as high

    _init_backend()
    params = model_params(path)
    orig = high.llama_cpp.llama_model_default_params
    high.llama_cpp.llama_model_default_params = lambda: params
    try:
        threads = n_threads or os.cpu_count()
        return L.Llama(model_path=str(path), n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads,
                       verbose=False, flash_attn=flash_attn)
    finally:
        high.llama_cpp.llama_model_default_params = orig


def _now() -> float:
    return time.perf_counter()
