"""Caption layout as reelforge (and the hosted pipeline) renders it, so every peer draws the
same lines at the same size and place.

Font size starts at 42 and drops by 2 down to 20 until the text fits in 40 % of the height;
characters per line = floor(720 * 0.85 / (fs * 0.55)); line height fs + 10; up to 3 lines sit
at the bottom (margin 120), up to 6 are centred, more start at y = 180. All of it is defined on
a 720-wide frame and scaled with the width.
"""

import math
from dataclasses import dataclass

BASE_W, BASE_H = 720, 1280


@dataclass
class Layout:
    lines: list
    font_size: int
    line_height: int
    border: int
    top: int  # y of the first line's top, in output pixels

    def line_tops(self):
        return [self.top + i * self.line_height for i in range(len(self.lines))]


def wrap(text, per_line):
    lines, cur = [], ""
    for word in text.split():
        if not cur:
            cur = word
        elif len(cur) + 1 + len(word) <= per_line:
            cur += " " + word
        else:
            lines.append(cur)
            cur = word
    if cur:
        lines.append(cur)
    return lines


def round_half_up(x):
    # Rust's f32::round rounds halves away from zero; Python's round() would not.
    return int(math.floor(x + 0.5))


def layout(text, width, height):
    fs = 42
    while True:
        per_line = math.floor(BASE_W * 0.85 / (fs * 0.55))
        lines = wrap(text, per_line)
        if len(lines) * (fs + 10) <= 0.4 * BASE_H or fs <= 20:
            break
        fs -= 2
    scale = width / BASE_W
    font_size = round_half_up(fs * scale)
    line_height = round_half_up((fs + 10) * scale)
    block = len(lines) * line_height
    if len(lines) <= 3:
        top = height - round_half_up(120 * scale) - block
    elif len(lines) <= 6:
        top = (height - block) // 2
    else:
        top = round_half_up(180 * scale)
    border = max(2, round_half_up(font_size / 14))
    return Layout(lines, font_size, line_height, border, top)


def font_ascent(path, size):
    """The font's ascent in whole pixels at `size`, as FreeType (and so Pillow) reports it: the
    hhea ascender scaled and rounded up. Baselines sit this far below each line's top."""
    import struct

    with open(path, "rb") as f:
        data = f.read()
    (num_tables,) = struct.unpack_from(">H", data, 4)
    tables = {}
    for i in range(num_tables):
        tag, _, offset, _ = struct.unpack_from(">4sIII", data, 12 + 16 * i)
        tables[tag] = offset
    (units_per_em,) = struct.unpack_from(">H", data, tables[b"head"] + 18)
    (ascender,) = struct.unpack_from(">h", data, tables[b"hhea"] + 4)
    return math.ceil(ascender * size / units_per_em)
