"""Diagnostics latency of `ganc lsp` after an edit, as an editor sees it: the time from sending a
`didChange` of the largest model in models/ (one character changed, alternately valid and
invalid) to receiving its `publishDiagnostics`, over 200 edits. Prints the median and the 95th
percentile in milliseconds.

    python3 scripts/lsp_latency.py [path/to/ganc]     (default: target of $CARGO_TARGET_DIR or ~/.cache/ganc-target)
"""

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

root = Path(__file__).resolve().parent.parent
target = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/ganc-target"))
ganc = sys.argv[1] if len(sys.argv) > 1 else os.path.join(target, "debug", "ganc")
model = max((root / "models").glob("*.gan"), key=lambda p: p.stat().st_size)
text = model.read_text()
uri = model.as_uri()

p = subprocess.Popen([ganc, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)


def send(v):
    b = json.dumps(v).encode()
    p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(b) + b)
    p.stdin.flush()


def read():
    header = p.stdout.readline()
    while p.stdout.readline().strip():
        pass
    return json.loads(p.stdout.read(int(header.split(b":")[1])))


send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}})
read()
send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
send({"jsonrpc": "2.0", "method": "textDocument/didOpen",
      "params": {"textDocument": {"uri": uri, "languageId": "gan", "version": 0, "text": text}}})
read()
times = []
for i in range(200):
    edited = text if i % 2 == 0 else text.replace("conv(", "cnov(", 1)
    start = time.perf_counter()
    send({"jsonrpc": "2.0", "method": "textDocument/didChange",
          "params": {"textDocument": {"uri": uri, "version": i + 1}, "contentChanges": [{"text": edited}]}})
    while read().get("method") != "textDocument/publishDiagnostics":
        pass
    times.append((time.perf_counter() - start) * 1000)
send({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": None})
send({"jsonrpc": "2.0", "method": "exit", "params": None})
times.sort()
print(f"{model.name} ({len(text.splitlines())} lines): median {statistics.median(times):.2f} ms, "
      f"p95 {times[int(0.95 * len(times))]:.2f} ms over {len(times)} edits")
