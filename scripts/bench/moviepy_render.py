"""Renders the benchmark clip with MoviePy, written the way a MoviePy user would: an ImageClip
resized over time for the push-in, a TextClip composited at the bottom, the song's audio
subclip, and write_videofile with libx264 + AAC.

Run with the benchmark virtualenv's Python (see scripts/bench-peers.py).
"""

import argparse
import os
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFont, ImageOps
from moviepy import AudioFileClip, CompositeVideoClip, ImageClip, TextClip

# Keeps __pycache__ out of scripts/bench.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from caption_layout import layout  # noqa: E402

CANVAS_MARGIN = 1.15
ZOOM_TRAVEL = 0.18


def smootherstep(p):
    p = min(max(p, 0.0), 1.0)
    return p * p * p * (p * (p * 6 - 15) + 10)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--image", required=True)
    ap.add_argument("--audio", required=True)
    ap.add_argument("--start", type=float, required=True)
    ap.add_argument("--duration", type=float, required=True)
    ap.add_argument("--caption", required=True)
    ap.add_argument("--font", required=True)
    ap.add_argument("--size", default="720x1280")
    ap.add_argument("--preset", default="veryfast")
    ap.add_argument("--crf", type=int, default=23)
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    w, h = (int(v) for v in a.size.lower().split("x"))
    cw, ch = round(w * CANVAS_MARGIN) // 2 * 2, round(h * CANVAS_MARGIN) // 2 * 2
    dur = a.duration

    # Cover-crop once to the margin canvas; zoom 1 then shows the frame at canvas scale.
    scene = ImageOps.fit(Image.open(a.image).convert("RGB"), (cw, ch), Image.Resampling.LANCZOS)
    bg = (
        ImageClip(np.array(scene), duration=dur)
        .resized(lambda t: 1.0 + ZOOM_TRAVEL * smootherstep(t / dur))
        .with_position("center")
    )

    lay = layout(a.caption, w, h)
    # Pillow spaces lines by the height of "A" plus the stroke; pick the gap that gives the
    # layout's line height.
    font = ImageFont.truetype(a.font, lay.font_size)
    a_box = ImageDraw.Draw(Image.new("RGB", (1, 1))).textbbox(
        (0, 0), "A", font=font, stroke_width=lay.border
    )
    interline = lay.line_height - (a_box[3] + lay.border)
    caption = TextClip(
        font=a.font,
        text="\n".join(lay.lines),
        font_size=lay.font_size,
        color="white",
        stroke_color="black",
        stroke_width=lay.border,
        text_align="center",
        interline=interline,
        # MoviePy 2.2 sizes the image too short with a custom interline and clips the last
        # line's descenders; the spare room is transparent.
        margin=(0, 0, 0, lay.line_height),
        duration=dur,
    ).with_position(("center", lay.top - lay.border))

    audio = AudioFileClip(a.audio).subclipped(a.start, a.start + dur)
    video = CompositeVideoClip([bg, caption], size=(w, h)).with_duration(dur).with_audio(audio)
    out_dir = os.path.dirname(os.path.abspath(a.out))
    video.write_videofile(
        a.out,
        fps=a.fps,
        codec="libx264",
        preset=a.preset,
        ffmpeg_params=["-crf", str(a.crf), "-pix_fmt", "yuv420p", "-movflags", "+faststart"],
        audio_codec="aac",
        audio_bitrate="128k",
        temp_audiofile_path=out_dir,
        logger=None,
    )
    video.close()
    audio.close()


if __name__ == "__main__":
    main()
