"""The job queue the local backends share: hand-over between event loops and one worker, cancellation,
close and failure; and the transformers and vLLM consumers on it, with stand-ins for the engines."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass

import pytest

from agents.llm import Completion, LLMError
from agents.llm.backends.queue import Job, JobQueue
from agents.llm.base import ChatModel

USER = [{"role": "user", "content": "hi"}]


def request(**kw):
    return ChatModel.make_request(USER, **kw)


@dataclass(eq=False)
class _Tagged(Job):
    tag: str = ""


def _echo_worker(queue: JobQueue[_Tagged], batches: list[list[str]]) -> threading.Thread:
    """A consumer that answers each job with its tag, taking up to 3 jobs at a time."""
    def run() -> None:
        while True:
            with queue.locked():
                if not queue.wait():
                    break
                jobs = queue.take(3)
            batches.append([j.tag for j in jobs])
            for j in jobs:
                j.resolve(result=f"done {j.tag}")
        for j in queue.drain():
            j.resolve(exc=LLMError("closed"))

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def test_jobs_from_two_event_loops_are_answered_by_one_worker():
    queue: JobQueue[_Tagged] = JobQueue("test/echo")
    batches: list[list[str]] = []
    worker = _echo_worker(queue, batches)

    async def many(prefix: str) -> list[str]:
        return await asyncio.gather(*(queue.submit(_Tagged(request(), tag=f"{prefix}{i}")) for i in range(5)))

    results: dict[str, list[str]] = {}
    threads = [threading.Thread(target=lambda p=p: results.__setitem__(p, asyncio.run(many(p)))) for p in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == {p: [f"done {p}{i}" for i in range(5)] for p in "ab"}
    assert all(len(b) <= 3 for b in batches) and sum(map(len, batches)) == 10
    queue.close()
    worker.join(5)
    assert not worker.is_alive()


def test_take_skips_cancelled_jobs_and_keeps_the_place_of_rejected_ones():
    async def scenario() -> None:
        queue: JobQueue[_Tagged] = JobQueue("test/take")
        jobs = [_Tagged(request(), tag=t) for t in ("a", "B", "c", "D", "e")]
        for j in jobs:
            queue.put(j)
        jobs[2].future.cancel()
        with queue.locked():
            upper = queue.take(5, accept=lambda j: j.tag.isupper())
            assert [j.tag for j in upper] == ["B", "D"]
            # "c" was cancelled: dropped, not taken; "a" and "e" kept in order.
            assert [j.tag for j in queue.pending] == ["a", "e"]
            assert [j.tag for j in queue.take(1)] == ["a"]

    asyncio.run(scenario())


def test_closed_or_failed_queues_refuse_work_and_hand_back_what_was_pending():
    async def scenario() -> None:
        queue: JobQueue[Job] = JobQueue("test/model")
        first = Job(request())
        queue.put(first)
        assert queue.fail(RuntimeError("boom")) == [first] and not queue.pending
        with pytest.raises(LLMError, match=r"decoder of test/model failed.*boom"):
            queue.put(Job(request()))
        closed: JobQueue[Job] = JobQueue("test/closed")
        closed.close()
        with pytest.raises(LLMError, match="test/closed is closed"):
            await closed.submit(Job(request()))
        with closed.locked():
            assert closed.wait() is False  # a closed queue never blocks its consumer

    asyncio.run(scenario())


def test_wait_returns_while_the_consumer_is_busy_without_new_jobs():
    queue: JobQueue[Job] = JobQueue("test/busy")
    with queue.locked():
        assert queue.wait(busy=lambda: True) is True


def test_a_result_for_a_caller_whose_loop_is_gone_is_dropped():
    async def make() -> Job:
        return Job(request())

    job = asyncio.run(make())  # the loop is closed once run() returns
    job.resolve(result="late")  # must not raise
    job.resolve(exc=LLMError("late"))
    assert not job.future.done()


def test_the_decoder_s_loop_settles_futures_of_callers_on_other_loops():
    # The worker resolves from its own thread; the caller's loop must get the result, not the worker's.
    queue: JobQueue[_Tagged] = JobQueue("test/threads")
    batches: list[list[str]] = []
    _echo_worker(queue, batches)
    t = time.perf_counter()

    async def one() -> str:
        return await queue.submit(_Tagged(request(), tag="x"))

    out = asyncio.run(one())
    assert out == "done x" and time.perf_counter() - t < 5
    queue.close()


# -- the transformers worker and the vLLM flusher on the shared queue, engines replaced ----------------


def _reply(job, text: str) -> list[Completion]:
    return [Completion(text, "stop", len(job.req.messages), 1)] * job.req.n


def test_transformers_worker_groups_plain_greedy_requests():
    from agents.llm.backends import hf

    m = hf.TransformersModel.__new__(hf.TransformersModel)
    ChatModel.__init__(m, cache=None)
    m.spec, m.identity, m.context_length, m.max_batch = "transformers/stub", "stub", None, 4
    m.prompt_ids = lambda messages: [1, 2, 3]
    groups: list[int] = []

    def greedy_batch(jobs):
        groups.append(len(jobs))
        time.sleep(0.05)  # the other requests queue up meanwhile
        return [_reply(j, f"greedy {j.req.max_tokens}") for j in jobs]

    m._greedy_batch = greedy_batch
    m._single = lambda job: _reply(job, "sampled")
    m._queue = JobQueue(m.spec)
    m._thread = threading.Thread(target=m._run, daemon=True)
    m._thread.start()

    async def together():
        greedy = [m.chat(USER, max_tokens=k) for k in range(1, 8)]
        return await asyncio.gather(*greedy, m.chat(USER, temperature=1.0, seed=1, n=2))

    outs = asyncio.run(together())
    assert [o[0].text for o in outs[:7]] == [f"greedy {k}" for k in range(1, 8)]
    assert [c.text for c in outs[7]] == ["sampled", "sampled"]
    assert max(groups) <= 4 and sum(groups) == 7 and len(groups) < 7
    m.close()
    assert not m._thread.is_alive()
    with pytest.raises(LLMError, match="closed"):
        m.chat_sync(USER)


def test_vllm_flusher_sends_pending_requests_in_one_engine_call():
    from agents.llm.backends import vllm

    class Engine:
        calls: list[int] = []

        def chat(self, convs, params, use_tqdm=False):
            self.calls.append(len(convs))
            return [f"out {i}" for i in range(len(convs))]

    m = vllm.VLLMModel.__new__(vllm.VLLMModel)
    ChatModel.__init__(m, cache=None)
    m.spec, m.identity, m.context_length, m.max_batch, m.engine_calls = "vllm/stub", "stub", 1000, 16, 0
    m.llm = Engine()
    m._queue = JobQueue(m.spec)
    m._flusher = None
    m.prompt_tokens = lambda messages: 3
    m.sampling_params = lambda req: None
    m._completions = lambda req, out: [Completion(out, "stop", 3, 1)] * req.n

    async def together():
        outs = await asyncio.gather(*(m.chat(USER, max_tokens=k) for k in range(1, 21)))
        await m.aclose()
        return outs

    outs = asyncio.run(together())
    assert Engine.calls == [16, 4] and m.engine_calls == 2
    assert [o[0].text for o in outs] == [f"out {i}" for i in range(16)] + [f"out {i}" for i in range(4)]
    with pytest.raises(LLMError, match="closed"):
        m.chat_sync(USER)
