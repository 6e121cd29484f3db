"""12329 hotline benchmark: many simultaneous calls against the FastAGI server on loopback.

  1. migrates a fresh database and seeds a city (``hpf seed``, ``--depositors``);
  2. gives ``--calls`` depositors a hotline password (in this process);
  3. starts ``hpf ivr-serve`` as its own process (as in production) on a free loopback port;
  4. places all the calls at once from this process, each a soft phone speaking AGI as
     Asterisk does (``hpf.hotline.softphone``): main menu 1, the ID number, the password,
     the balance and recent deposits, ``*`` (hear them again), ``#`` (main menu), 2, the
     loan answer, then hang up. Each caller takes ``--think-ms`` (± 50 %, random) to key each
     answer, as people do (per key: the ID number takes longest), the calls starting within
     ``--ramp-s``, and each prompt taking as long as Asterisk takes to play it
     (``--speech-cps`` characters a second; 0 answers at once, a harsher test than any call);
  5. reports errors (a call that did not hear its balance and loan answer, heard "system
     busy", or failed) and the server's latency per AGI step: the time from the phone's
     answer to one command until the next command arrived, p50 / p99 / max, over all steps
     and for the password check (Argon2 + the account lookup) and the two reads on their own.

Bounded: at most 2,000 calls, each call and the whole run under a time limit.

    .venv/bin/python -m bench.ivr [--calls 200] [--depositors 5000] [--think-ms 400]
        [--threads 4] [--database-url postgres://postgres@127.0.0.1/hpf_bench_ivr] [--reuse]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HPF = str(ROOT / ".venv" / "bin" / "hpf")
VAR = ROOT / "var" / "bench-ivr"
CALL_LIMIT_S = 300.0
RUN_LIMIT_S = 600.0
LOAN_ANSWERS = {"no-loan", "loan-remaining", "loan-paid-off"}  # menu 2's three answers


def env_for(url: str, var_dir: Path = VAR) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        HPF_VAR_DIR=str(var_dir),
        HPF_GENERATE_SECRETS="1",
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SETTINGS_MODULE="hpf.settings",
    )
    return env


def prepare(url: str, env: dict[str, str], depositors: int) -> None:
    if url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    else:
        import psycopg

        db = url.rsplit("/", 1)[1]
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{db}"')
            con.execute(f'CREATE DATABASE "{db}"')
    for cmd in (
        [HPF, "migrate", "--no-input", "-v", "0"],
        [HPF, "seed", "--depositors", str(depositors), "--years", "2", "--seed", "1"],
    ):
        started = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if proc.returncode:
            sys.exit(f"{' '.join(cmd)} failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        print(f"  {' '.join(cmd[1:3])}: {time.perf_counter() - started:.1f} s")


def callers(n: int) -> list[tuple[str, str]]:
    """(ID number as keyed, hotline password) of ``n`` active depositors, passwords set here."""
    import django

    django.setup()
    from hpf.audit.services import Actor
    from hpf.common.crypto import decrypt
    from hpf.hotline.services import hotline_password_set
    from hpf.registry.models import AccountStatus, FundAccount
    from hpf.seeding.hotline import demo_hotline_pin

    found = []
    accounts = (
        FundAccount.objects.filter(status=AccountStatus.ACTIVE)
        .select_related("depositor")
        .order_by("pk")[:n]
    )
    for account in accounts:
        dep = account.depositor
        pin = demo_hotline_pin(dep)
        hotline_password_set(actor=Actor.cli("bench"), depositor_id=dep.pk, password=pin)
        number = decrypt(dep.id_number_enc, context=b"id_number")
        found.append((number.replace("X", "*"), pin))
    if len(found) < n:
        sys.exit(f"only {len(found)} active accounts: seed more depositors")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit("hpf ivr-serve stopped")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit("hpf ivr-serve did not start")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def one_call(
    port: int, id_keys: str, pin: str, think_s: float, ramp_s: float, cps: float
) -> tuple[list, list, str, float, float]:
    from hpf.hotline.softphone import call

    keys = iter(["1", id_keys, pin, "*", "#", "2"])
    rng = random.Random(id_keys)
    await asyncio.sleep(rng.uniform(0, ramp_s))

    async def next_keys(prompt: str) -> str | None:
        pressed = next(keys, None)
        # A person keys about one key per ``think_s`` (± 50 %): the ID number takes longest.
        await asyncio.sleep(think_s * max(1, len(pressed or "")) * rng.uniform(0.5, 1.5))
        return pressed

    began = time.perf_counter()
    t = await asyncio.wait_for(call("127.0.0.1", port, next_keys, speech_cps=cps), CALL_LIMIT_S)
    ended = time.perf_counter()
    heard = t.prompts()
    problem = ""
    if "system-busy" in heard:
        problem = "system busy"
    elif heard.count("balance-is") != 2 or not LOAN_ANSWERS & set(heard):
        problem = f"incomplete call: {heard[-3:]}"
    return t.steps, t.after, problem, began, ended


def peak_concurrency(spans: list[tuple[float, float]]) -> int:
    edges = sorted([(a, 1) for a, _ in spans] + [(b, -1) for _, b in spans])
    level = peak = 0
    for _, step in edges:
        level += step
        peak = max(peak, level)
    return peak


async def run_calls(
    port: int, people: list[tuple[str, str]], think_s: float, ramp_s: float, cps: float
) -> dict:
    started = time.perf_counter()
    results = await asyncio.wait_for(
        asyncio.gather(
            *(one_call(port, k, p, think_s, ramp_s, cps) for k, p in people), return_exceptions=True
        ),
        RUN_LIMIT_S,
    )
    wall = time.perf_counter() - started
    out: dict = {"wall": wall, "steps": [], "auth": [], "reads": [], "errors": [], "spans": []}
    for r in results:
        if isinstance(r, BaseException):
            out["errors"].append(repr(r))
            continue
        steps, after, problem, began, ended = r
        out["spans"].append((began, ended))
        if problem:
            out["errors"].append(problem)
        out["steps"] += steps[1:]  # the first is the connection's handshake
        for step, answered in zip(steps, after, strict=True):
            if answered.startswith("ask:enter-password="):
                out["auth"].append(step)  # Argon2, the account, and the balance read
            elif answered == "ask:main-menu=2":
                out["reads"].append(step)  # the loan read (signed in already)
    out["peak"] = peak_concurrency(out["spans"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--depositors", type=int, default=5000)
    parser.add_argument("--think-ms", type=int, default=300, help="per key pressed")
    parser.add_argument("--ramp-s", type=float, default=10.0, help="calls start within this")
    parser.add_argument(
        "--speech-cps",
        type=float,
        default=6.0,
        help="prompts play at this many characters a second (0: answered at once)",
    )
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--database-url", default=f"sqlite:///{VAR / 'ivr.sqlite3'}")
    parser.add_argument("--reuse", action="store_true", help="keep the seeded database")
    parser.add_argument(
        "--var-dir",
        type=Path,
        default=VAR,
        help="HPF_VAR_DIR of the database's keys (a city seeded elsewhere: its folder)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the figures here (JSON)")
    args = parser.parse_args()
    if not 1 <= args.calls <= 2000:
        sys.exit("--calls: 1–2000")
    if "city1500k" in args.database_url:
        sys.exit("work on a copy (CREATE DATABASE … TEMPLATE hpf_city1500k), not the original")
    VAR.mkdir(parents=True, exist_ok=True)
    env = env_for(args.database_url, args.var_dir)
    if not args.reuse:
        prepare(args.database_url, env, args.depositors)
    os.environ.update(env)
    people = callers(args.calls)
    port = free_port()
    server = subprocess.Popen(
        [HPF, "ivr-serve", "--port", str(port), "--threads", str(args.threads)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for(port, server)
        out = asyncio.run(
            run_calls(port, people, args.think_ms / 1000, args.ramp_s, args.speech_cps)
        )
    finally:
        server.terminate()
        server.wait(30)
    print(
        f"{args.calls} calls (at most {out['peak']} at once), started within {args.ramp_s} s, "
        f"{args.think_ms} ms ± 50 % per key, prompts at {args.speech_cps} characters/s, "
        f"{args.threads} database threads, {args.database_url.split('://')[0]}: "
        f"wall {out['wall']:.1f} s, errors {len(out['errors'])}"
    )
    for problem in out["errors"][:5]:
        print("  error:", problem)
    figures: dict[str, object] = {
        "calls": args.calls,
        "peak_at_once": out["peak"],
        "errors": len(out["errors"]),
        "wall_s": round(out["wall"], 1),
    }
    for key, label, values in (
        ("step", "every AGI step", out["steps"]),
        ("auth", "password check (Argon2) + balance read", out["auth"]),
        ("loan", "menu 2 read (loans)", out["reads"]),
    ):
        if values:
            p50, p99, top = (statistics.median(values), pct(values, 0.99), max(values))
            figures.update(
                {
                    f"{key}_n": len(values),
                    f"{key}_p50_ms": round(p50 * 1000, 1),
                    f"{key}_p99_ms": round(p99 * 1000, 1),
                    f"{key}_max_ms": round(top * 1000, 1),
                }
            )
            print(
                f"  {label:<40} n={len(values):<6} p50 {p50 * 1000:7.1f} ms"
                f"  p99 {p99 * 1000:7.1f} ms  max {top * 1000:7.1f} ms"
            )
    if args.json:
        Path(args.json).write_text(json.dumps(figures))


if __name__ == "__main__":
    main()
