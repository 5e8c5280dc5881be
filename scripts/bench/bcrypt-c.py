#!/usr/bin/env python3
"""The bar for bcrypt's speed: the C implementation (Openwall's crypt_blowfish in libxcrypt, the system's
libcrypt), timed like the criterion benchmark: verifications at cost BENCH_BCRYPT_COST (12), median and
range of 11. Skips with a message where libcrypt has no bcrypt."""
import ctypes, ctypes.util, os, statistics, sys, time

cost = int(os.environ.get("BENCH_BCRYPT_COST", "12"))
name = ctypes.util.find_library("crypt") or "libcrypt.so.1"
try:
    lib = ctypes.CDLL(name)
except OSError:
    sys.exit(f"bcrypt-c: no libcrypt ({name}); skipped")
lib.crypt.restype = ctypes.c_char_p
lib.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
password = b"correct horse battery staple"
stored = lib.crypt(password, b"$2b$%02d$abcdefghijklmnopqrstuu" % cost)
if not stored or not stored.startswith(b"$2b$"):
    sys.exit("bcrypt-c: this libcrypt has no bcrypt; skipped")
samples = []
for _ in range(11):
    started = time.perf_counter()
    assert lib.crypt(password, stored) == stored
    samples.append((time.perf_counter() - started) * 1000)
print(f"bcrypt verify (cost {cost})/C libxcrypt ({name}): median {statistics.median(samples):.1f} ms, "
      f"range {min(samples):.1f}-{max(samples):.1f} ms")
