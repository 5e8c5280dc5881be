#!/usr/bin/env python3
"""The bar for bcrypt's speed: the C implementation (Openwall's crypt_blowfish in libxcrypt, the system's
libcrypt). Timed the way logins use the machine: one process per core (BENCH_BCRYPT_PROCS, default all
cores), each hashing at cost BENCH_BCRYPT_COST (12) for BENCH_BCRYPT_ROUNDS (6) verifications; prints the
per-hash median and the cores' throughput (hashes/s, all processes together). Skips where libcrypt has no
bcrypt."""
import ctypes, ctypes.util, multiprocessing, os, statistics, sys, time

cost = int(os.environ.get("BENCH_BCRYPT_COST", "12"))
procs = int(os.environ.get("BENCH_BCRYPT_PROCS", str(os.cpu_count() or 1)))
rounds = int(os.environ.get("BENCH_BCRYPT_ROUNDS", "6"))
name = ctypes.util.find_library("crypt") or "libcrypt.so.1"
password = b"correct horse battery staple"


def load():
    lib = ctypes.CDLL(name)
    lib.crypt.restype = ctypes.c_char_p
    lib.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    return lib


def worker(stored, start, out):
    lib = load()
    start.wait()
    samples = []
    for _ in range(rounds):
        began = time.perf_counter()
        assert lib.crypt(password, stored) == stored
        samples.append(time.perf_counter() - began)
    out.put(samples)


if __name__ == "__main__":
    try:
        lib = load()
    except OSError:
        sys.exit(f"bcrypt-c: no libcrypt ({name}); skipped")
    stored = lib.crypt(password, b"$2b$%02d$abcdefghijklmnopqrstuu" % cost)
    if not stored or not stored.startswith(b"$2b$"):
        sys.exit("bcrypt-c: this libcrypt has no bcrypt; skipped")
    start, out = multiprocessing.Barrier(procs + 1), multiprocessing.Queue()
    workers = [multiprocessing.Process(target=worker, args=(stored, start, out)) for _ in range(procs)]
    for w in workers:
        w.start()
    start.wait()
    began = time.perf_counter()
    samples = [s for _ in workers for s in out.get()]
    elapsed = time.perf_counter() - began
    for w in workers:
        w.join()
    print(f"bcrypt verify (cost {cost})/C libxcrypt ({name}), {procs} processes: median {statistics.median(samples) * 1000:.1f} ms "
          f"a hash (range {min(samples) * 1000:.1f}-{max(samples) * 1000:.1f}), {len(samples) / elapsed:.2f} hashes/s together")
