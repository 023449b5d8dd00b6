#!/usr/bin/env python3
"""Draw hearth's app icons (a flame over a hearth) as PNGs into www/icons/, with only the
standard library. Run once when the design changes; the PNGs are committed."""
import math, os, struct, zlib

BG, FLAME, CORE, STONE = (0x1F, 0x24, 0x30), (0xFF, 0x8C, 0x1A), (0xFF, 0xCC, 0x66), (0x5A, 0x63, 0x78)


def pixel(x, y, maskable):
    # Unit coordinates: (0,0) top left, (1,1) bottom right; maskable icons keep a safe zone.
    s = 0.8 if maskable else 1.0
    u, v = (x - 0.5) / s + 0.5, (y - 0.5) / s + 0.5
    r = 0.5 if maskable else 0.22  # corner radius for the rounded square
    if not maskable:
        dx, dy = max(abs(x - 0.5) - (0.5 - r), 0), max(abs(y - 0.5) - (0.5 - r), 0)
        if dx * dx + dy * dy > r * r:
            return None
    if 0.2 < u < 0.8 and 0.74 < v < 0.82:
        return STONE
    # Flame: a teardrop, narrower towards the top.
    def drop(cx, top, bottom, width):
        if not (top < v < bottom):
            return False
        t = (v - top) / (bottom - top)
        half = width * math.sin(math.pi * min(1.0, t * 1.15)) * (0.35 + 0.65 * t)
        return abs(u - cx) < half
    if drop(0.5, 0.34, 0.72, 0.13):
        return CORE
    if drop(0.5, 0.16, 0.72, 0.22):
        return FLAME
    return BG


def png(size, maskable):
    rows = []
    for j in range(size):
        row = bytearray([0])
        for i in range(size):
            c = pixel((i + 0.5) / size, (j + 0.5) / size, maskable)
            row += bytes((*c, 255)) if c else bytes(4)
        rows.append(bytes(row))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b"")


if __name__ == "__main__":
    out = os.path.join(os.path.dirname(__file__), "..", "www", "icons")
    os.makedirs(out, exist_ok=True)
    for name, size, maskable in [("icon-192.png", 192, False), ("icon-512.png", 512, False), ("icon-maskable-512.png", 512, True)]:
        with open(os.path.join(out, name), "wb") as f:
            f.write(png(size, maskable))
