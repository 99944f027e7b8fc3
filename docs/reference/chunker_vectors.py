#!/usr/bin/env python3
"""Recomputes the test vectors of docs/format-chunker.md from its pseudocode alone.

An implementation independent of the Swift code (standard library only: hmac, hashlib), one
byte per step, slow but plain: about 5 s for both vectors. Run: python3 chunker_vectors.py
"""
import hashlib
import hmac
import struct

MIN, NORMAL, MAX = 262_144, 1_048_576, 2_097_152
MASK_S, MASK_L = 0x554AA552A9548000, 0x524A494929248000
WORD = (1 << 64) - 1


def gear(key: bytes) -> list[int]:
    """gear[i] = u64_le(HMAC-SHA256(key, "coffre/v1/gear" || u8(i))[0:8])."""
    return [struct.unpack("<Q", hmac.new(key, b"coffre/v1/gear" + bytes([i]), hashlib.sha256).digest()[:8])[0]
            for i in range(256)]


def stream(count: int) -> bytes:
    """The input generator: SHA-256("coffre/v1/chunker-test-input" || u32be(j)) for j = 0, 1, ..."""
    blocks = bytearray()
    j = 0
    while len(blocks) < count:
        blocks += hashlib.sha256(b"coffre/v1/chunker-test-input" + struct.pack(">I", j)).digest()
        j += 1
    return bytes(blocks[:count])


def cut_points(data: bytes, table: list[int]) -> list[int]:
    cuts, start = [], 0
    while start < len(data):
        rest = len(data) - start
        length = rest
        if rest > MIN:
            length = min(rest, MAX)
            fp = 0
            for p in range(MIN, length):
                fp = ((fp << 1) + table[data[start + p]]) & WORD
                if fp & (MASK_S if p < NORMAL else MASK_L) == 0:
                    length = p + 1
                    break
        start += length
        cuts.append(start)
    return cuts


if __name__ == "__main__":
    k1, k2 = bytes(range(32)), bytes(range(31, -1, -1))
    g1, g2 = gear(k1), gear(k2)
    for name, table in (("K1", g1), ("K2", g2)):
        print(f"{name}: gear[0] 0x{table[0]:016X} gear[1] 0x{table[1]:016X} gear[255] 0x{table[255]:016X}")
    vector1 = stream(6_000_000)
    print("stream(6000000) starts", vector1[:32].hex(), "SHA-256", hashlib.sha256(vector1).hexdigest())
    print("vector 1:", ", ".join(map(str, cut_points(vector1, g1))))
    vector2 = bytes(5 << 20) + stream(3_000_000)
    print("vector 2 input SHA-256", hashlib.sha256(vector2).hexdigest())
    print("vector 2:", ", ".join(map(str, cut_points(vector2, g2))))
