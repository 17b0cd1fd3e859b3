#!/usr/bin/env python3
"""Time batches through `reelforge serve` (create, then poll until every run is final) against
`reelforge render` of the same job, alternating runs, and print a Markdown table.

Usage: scripts/bench-serve.py [--sizes 1,3,10] [--repeats 3]
Needs target/release/reelforge and the model that scripts/setup.sh installs. Transcripts are
cached (warmed first), so both sides measure rendering, not Whisper.
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXE = os.path.join(ROOT, "target/release/reelforge")
ARTIST = "5b0f3c1e-8a2d-4c6b-9e71-2d4f6a8b0c13"
ACCOUNT = "0f8a1c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
KEY = "rf_benchmark_key_0123456789"
JOB = {"artist_account_id": ARTIST, "template": "artist-caption-stage",
       "caption_length": "short", "lipsync": False}


def request(url, body=None):
    req = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(),
                                 headers={"x-api-key": KEY, "content-type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def through_service(base, size):
    started = time.monotonic()
    ids = request(base + "/api/content/create", dict(JOB, batch=size))["runIds"]
    pending = set(ids)
    while pending:
        time.sleep(0.05)
        for run_id in list(pending):
            run = request(f"{base}/api/tasks/runs?runId={run_id}")["runs"][0]
            if run["status"] not in ("QUEUED", "EXECUTING"):
                assert run["status"] == "COMPLETED", run
                pending.discard(run_id)
    return time.monotonic() - started


def through_cli(tmp, cache, size, seed):
    manifest = os.path.join(tmp, "job.json")
    with open(manifest, "w") as f:
        json.dump(dict(JOB, batch=size, seed=seed,
                       artists_root=os.path.join(ROOT, "fixtures/artists"),
                       output_dir=os.path.join(tmp, f"cli-{seed}")), f)
    started = time.monotonic()
    subprocess.run([EXE, "render", manifest, "--json", "--cache", cache],
                   check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1,3,10")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        cache = os.path.join(tmp, "cache")
        through_cli(tmp, cache, 10, 0)  # warms the transcript cache with every song
        env = dict(os.environ, REELFORGE_API_KEYS=f"{ACCOUNT}={KEY}", REELFORGE_LOG="warn")
        server = subprocess.Popen(
            [EXE, "serve", "--listen", "127.0.0.1:0", "--artists",
             os.path.join(ROOT, "fixtures/artists"), "--data", os.path.join(tmp, "data"),
             "--cache", cache, "--poll-interval", "0.2"],
            env=env, stdout=subprocess.PIPE, text=True)
        try:
            base = server.stdout.readline().strip().removeprefix("listening on ")
            rows = []
            for size in sizes:
                svc, cli = [], []
                for i in range(args.repeats):
                    svc.append(through_service(base, size))
                    cli.append(through_cli(tmp, cache, size, i + 1))
                rows.append((size, statistics.median(svc), statistics.median(cli)))
        finally:
            server.terminate()
            server.wait()
    cores = os.cpu_count()
    print(f"| batch | `serve` create → all COMPLETED | `render` | serve / render |")
    print("| --- | --- | --- | --- |")
    for size, svc, cli in rows:
        print(f"| {size} | {svc:.1f} s | {cli:.1f} s | {svc / cli:.2f} |")
    print(f"\n{cores} cores, medians of {args.repeats}, alternating; default workers/jobs "
          f"(one video per core).")


if __name__ == "__main__":
    main()
