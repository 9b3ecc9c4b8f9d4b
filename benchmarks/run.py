"""Measure securedoc on a generated archive and print files per second, ratios and peak memory.

    python benchmarks/run.py [--count 20000] [--work DIR] [--body] [--jobs N] [--rounds 3] [--only verify-1,...]

Measures, on one corpus, in one run:

* floor        a plain loop: read each file, parse its front matter with yaml.CSafeLoader, build
               canonical JSON, encrypt it with AES-256-GCM (what any Python tool must at least do);
* verify-1     `securedoc verify` cold, one job;
* verify-N     `securedoc verify` cold, all cores;
* verify-warm  `securedoc verify --cache` after a run that filled the cache;
* seal-noop    `securedoc seal --cache` on the sealed archive, after a run that filled the cache;
* seal-noop-nocache  the same without a cache (each file parsed, decrypted and compared).

The measurements run in interleaved rounds (default 3) and each keeps its best time, because a
shared machine's speed drifts over minutes; memory keeps the highest peak seen.

Each is a separate process (so each pays Python's start-up, as a user does); memory is sampled
from the process tree every 20 ms: the peak RSS of the largest single process, and the peak PSS of
all processes together (PSS counts pages that forked workers share once, where summed RSS would
count them once per process).
Needs psutil (`pip install psutil`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

FLOOR = textwrap.dedent(
    """
    import json, os, sys, time
    import yaml
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    root = sys.argv[1]
    aes = AESGCM(os.urandom(32))
    paths = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        paths.extend(os.path.join(folder, f) for f in sorted(files) if f.endswith(".md"))
    n = 0
    for path in paths:
        with open(path, "rb") as handle:
            data = handle.read()
        end = data.index(b"\\n---\\n", 3)
        fields = yaml.load(data[4:end + 1].decode("utf-8"), Loader=yaml.CSafeLoader)
        fields.pop("secured", None)
        payload = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
        aes.encrypt(os.urandom(12), payload.encode("utf-8"), None)
        n += 1
    print(n)
    """
)


def measure(name: str, argv: list[str], cwd: Path, files: int, expect: int | None = 0) -> dict[str, object]:
    start = time.perf_counter()
    proc = psutil.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak_one = peak_all = 0
    while proc.poll() is None:
        try:
            family = [proc, *proc.children(recursive=True)]
            rss, pss = [], []
            for p in family:
                try:
                    info = p.memory_full_info()
                    rss.append(info.rss)
                    pss.append(info.pss)  # shared pages (forked workers) counted once
                except psutil.Error:
                    pass
            if rss:
                peak_one = max(peak_one, max(rss))
                peak_all = max(peak_all, sum(pss))
        except psutil.Error:
            pass
        time.sleep(0.02)
    elapsed = time.perf_counter() - start
    out, err = proc.communicate()
    if expect is not None and proc.returncode != expect:
        raise SystemExit(f"{name}: exit {proc.returncode}\n{out.decode()[-2000:]}\n{err.decode()[-2000:]}")
    return {
        "name": name,
        "seconds": round(elapsed, 3),
        "files_per_s": round(files / elapsed, 1),
        "peak_rss_mb": round(peak_one / 2**20, 1),
        "peak_pss_all_mb": round(peak_all / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--work", type=Path, help="corpus folder (kept; generated when missing)")
    parser.add_argument("--body", action="store_true")
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--only", help="comma-separated subset of measurements")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; each measurement keeps its best")
    args = parser.parse_args()

    from generate import generate

    work = args.work or Path(tempfile.mkdtemp(prefix="securedoc-bench-"))
    content = work / "content"
    if not content.is_dir():
        print(f"generating {args.count:,} sealed articles in {work} ...", flush=True)
        t = time.perf_counter()
        generate(work, args.count, body=args.body)
        print(f"  done in {time.perf_counter() - t:.1f} s", flush=True)
    files = sum(1 for _ in content.rglob("*.md"))
    exe = shutil.which("securedoc") or str(Path(sys.executable).parent / "securedoc")
    verify = [exe, "verify", "content", "-q", "--no-progress"]
    seal = [exe, "seal", "content", "-q", "--no-progress"]
    cache = work / "cache"
    wanted = set(args.only.split(",")) if args.only else None

    def want(name: str) -> bool:
        return wanted is None or name in wanted

    def fill_verify_cache() -> None:
        shutil.rmtree(cache, ignore_errors=True)
        measure("fill cache", verify + ["--cache", str(cache)], work, files)
        measure("fill seal cache", seal + ["--cache", str(cache)], work, files)

    plan = [
        ("floor", [sys.executable, "-c", FLOOR, "content"], None),
        ("verify-1", verify + ["--jobs", "1"], 0),
        (f"verify-{args.jobs}", verify + ["--jobs", str(args.jobs)], 0),
        ("verify-warm", verify + ["--cache", str(cache)], 0),
        ("seal-noop", seal + ["--cache", str(cache)], 0),
        ("seal-noop-nocache", seal, 0),
    ]
    plan = [step for step in plan if want(step[0].replace(f"-{args.jobs}", "-N") if step[0] != "verify-1" else step[0])]
    if any(name in ("verify-warm", "seal-noop") for name, _, _ in plan):
        fill_verify_cache()
    # The machine's speed drifts over minutes: interleave rounds and keep each one's best time.
    best: dict[str, dict[str, object]] = {}
    for _ in range(args.rounds):
        for name, argv, expect in plan:
            result = measure(name, argv, work, files, expect=expect)
            kept = best.get(name)
            if kept is None:
                best[name] = result
            else:
                if result["seconds"] < kept["seconds"]:  # type: ignore[operator]
                    kept.update(seconds=result["seconds"], files_per_s=result["files_per_s"])
                for mem in ("peak_rss_mb", "peak_pss_all_mb"):
                    kept[mem] = max(kept[mem], result[mem])  # type: ignore[type-var]
    results = [best[name] for name, _, _ in plan]

    floor = next((r for r in results if r["name"] == "floor"), None)
    cold = next((r for r in results if r["name"] == "verify-1"), None)
    print()
    print(
        f"{files:,} articles, {args.jobs} jobs, {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores ({platform.machine()}), corpus {work}"
    )
    print(
        f"{'measurement':<20}{'seconds':>9}{'files/s':>10}{'x floor':>9}{'x verify-1':>12}{'RSS MB':>9}{'PSS all':>9}"
    )
    for r in results:
        x_floor = f"{r['files_per_s'] / floor['files_per_s']:.2f}" if floor else "-"  # type: ignore[operator]
        x_cold = f"{r['files_per_s'] / cold['files_per_s']:.2f}" if cold else "-"  # type: ignore[operator]
        print(
            f"{r['name']:<20}{r['seconds']:>9.2f}{r['files_per_s']:>10,.0f}{x_floor:>9}{x_cold:>12}"
            f"{r['peak_rss_mb']:>9.1f}{r['peak_pss_all_mb']:>9.1f}"
        )
    if args.json:
        args.json.write_text(json.dumps({"files": files, "jobs": args.jobs, "results": results}, indent=2))


if __name__ == "__main__":
    main()
