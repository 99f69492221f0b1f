"""The OpenAI-compatible backend against a local HTTP server that speaks the chat-completions API."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from agents.llm import ContextLengthError, ServerError, load_model


class _Server:
    """Answers /v1/chat/completions; ``script`` is a list of (status, body) consumed per request."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.script: list[tuple[int, dict]] = []
        outer = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):  # keep test output clean
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append(body)
                status, payload = outer.script.pop(0) if outer.script else (200, outer.reply(body))
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @staticmethod
    def reply(body: dict) -> dict:
        n = body.get("n", 1)
        text = "yes" if "structured_outputs" in body else f"echo {body['messages'][-1]['content']}"
        choice = lambda i: {"index": i, "finish_reason": "stop",  # noqa: E731
                            "message": {"role": "assistant", "content": text},
                            "logprobs": {"content": [{"token": text, "logprob": -0.5, "bytes": None,
                                                      "top_logprobs": [{"token": text, "logprob": -0.5,
                                                                        "bytes": None}]}]}
                            if body.get("logprobs") else None}
        return {"id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                "choices": [choice(i) for i in range(n)],
                "usage": {"prompt_tokens": 5, "completion_tokens": 2 * n, "total_tokens": 5 + 2 * n}}


@pytest.fixture
def server():
    s = _Server()
    yield s
    s.httpd.shutdown()


def model(server, **kw):
    return load_model(f"openai/test-model@{server.url}", cache=False, backoff=0.01, **kw)


def test_request_shape_and_reply(server):
    m = model(server, extra_body={"top_k": 5})
    outs = m.chat_sync([{"role": "user", "content": "hi"}], n=2, temperature=0.7, seed=3, stop=["\n"],
                       max_tokens=9, logprobs=1)
    body = server.requests[-1]
    assert body["n"] == 2 and body["seed"] == 3 and body["stop"] == ["\n"] and body["max_tokens"] == 9
    assert body["top_k"] == 5 and body["logprobs"] is True and body["top_logprobs"] == 1
    assert [o.text for o in outs] == ["echo hi", "echo hi"]
    assert outs[0].prompt_tokens == 5 and outs[0].logprobs[0].logprob == -0.5


def test_constraint_goes_through_extra_body_and_is_validated(server):
    m = model(server)
    [c] = m.chat_sync([{"role": "user", "content": "?"}], constraint=["yes", "no"])
    assert server.requests[-1]["structured_outputs"] == {"choice": ["yes", "no"]}
    assert c.valid and c.parsed == "yes"
    [c] = m.chat_sync([{"role": "user", "content": "?"}], constraint={"type": "integer"})
    assert c.finish_reason == "invalid"  # the server's "yes" is not an integer: reported


def test_transient_errors_are_retried(server):
    server.script = [(503, {"error": {"message": "busy"}}), (429, {"error": {"message": "slow down"}})]
    m = model(server)
    [c] = m.chat_sync([{"role": "user", "content": "x"}])
    assert c.text == "echo x" and len(server.requests) == 3


def test_client_errors_are_not_retried(server):
    server.script = [(400, {"error": {"message": "This model's maximum context length is 2048 tokens"}})]
    with pytest.raises(ContextLengthError, match="2048"):
        model(server).chat_sync([{"role": "user", "content": "x"}])
    assert len(server.requests) == 1


def test_server_down_gives_clear_error_after_bounded_retries():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    m = load_model(f"openai/m@http://127.0.0.1:{port}/v1", cache=False, max_retries=2, backoff=0.01)
    with pytest.raises(ServerError, match=r"kept failing after 3 attempts.*Is it running"):
        m.chat_sync([{"role": "user", "content": "x"}])


def test_bounded_concurrency(server):
    m = model(server, max_concurrency=3)

    async def main():
        return await asyncio.gather(*(m.chat([{"role": "user", "content": str(i)}]) for i in range(20)))

    outs = asyncio.run(main())
    assert [o[0].text for o in outs] == [f"echo {i}" for i in range(20)]
