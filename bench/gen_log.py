"""Write an Open-AutoGLM-style log of about N bytes: old lines, then a recent tail.

Everything but the last few hundred lines is dated two days before now, so only the tail
is inside log-scan's window; the tail holds every failure signature log-scan knows.
"""
import datetime
import sys

path, size = sys.argv[1], int(sys.argv[2])
now = datetime.datetime.now(datetime.timezone.utc)
old = (now - datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")

# One block of old lines, repeated: generating 1 GB line by line would take minutes.
block = "".join(
    f"{old} INFO sync: round {i} done in {i % 900}ms, 42 objects, peer master.autoglm.test:9090\n"
    for i in range(12000)
).encode()
tail_lines = [
    "ERROR sync: dial tcp master.autoglm.test:9090: i/o timeout",
    "WARN sync: connect to master.autoglm.test:8080 failed: connection refused",
    "ERROR tls: x509: certificate signed by unknown authority",
    "ERROR auth: POST /v1/token returned status 401 Unauthorized",
    "ERROR api: GET /v2/models HTTP/1.1 426 Upgrade Required",
    "ERROR ckpt: failed to write checkpoint step-000121: no space left on device",
]
tail = "".join(
    f"{(now - datetime.timedelta(seconds=600 - i)).strftime('%Y-%m-%dT%H:%M:%SZ')} {tail_lines[i % len(tail_lines)]}\n"
    for i in range(600)
).encode()
with open(path, "wb") as f:
    written = 0
    while written + len(block) + len(tail) <= size:
        f.write(block)
        written += len(block)
    f.write(tail)
