"""Schemathesis hooks for .ci/fuzz-api.

Each generated request that carries an `Idempotency-Key` gets a key of its own, as a real
client's requests would: the fuzzer draws keys from a small space and would send one key with
two different requests, which the API refuses by design (422 `idempotency_key_reused`; that
rule is tested in crates/server/tests/api/idempotency.rs).

A webhook URL the fuzzer makes up with an http(s) scheme is pointed at 127.0.0.1's discard
port: the server resolves a target's host name when it is set, and the fuzzer must not make
it look up random names (nor post anywhere but this machine). Malformed URLs, other schemes and
non-strings stay as generated, so their refusals are still fuzzed.
"""

import uuid

import schemathesis


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    # Only a key the fuzzer means as a valid one: a malformed key it sends on purpose, or a
    # header it leaves out, stays as it is.
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and key and all("!" <= c <= "~" for c in key) and len(key) <= 255:
        case.headers["Idempotency-Key"] = str(uuid.uuid4())

    body = case.body
    if "/webhooks" in case.path and isinstance(body, dict):
        url = body.get("url")
        if isinstance(url, str) and url.lower().startswith(("http://", "https://")):
            body["url"] = "http://127.0.0.1:9/fuzzed"
