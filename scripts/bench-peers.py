#!/usr/bin/env python3
"""Peer benchmark: renders the same lyric clip with reelforge, the ffmpeg CLI and MoviePy and
writes the results into BENCHMARKS.md (between <!-- peers --> and <!-- /peers -->; the rest of
the file is kept).

Same job for every tool: one image cover-cropped to 9:16 on a 1.15x canvas, a push-in from
zoom 1.0 to 1.18 with smootherstep easing, the caption in white bold text with a black border
at the bottom, the song from START for DURATION as AAC stereo 128 kb/s, libx264 yuv420p 30 fps
with the same preset and CRF, +faststart. Runs alternate between the tools (A B C A B C ...)
so a slow spell on the machine hits them all alike; medians are reported.

    scripts/bench-peers.py                       # 3 runs, 720x1280 and 1080x1920
    scripts/bench-peers.py --quick --skip-reelforge --out /tmp/peers.md

MoviePy runs in a virtualenv at .cache/bench-venv, created on first use.
Standard library only.
"""

import argparse
import ctypes
import json
import os
import platform
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Keeps __pycache__ out of scripts/bench.
sys.dont_write_bytecode = True
sys.path.insert(0, str(ROOT / "scripts" / "bench"))
from caption_layout import font_ascent, layout  # noqa: E402

MOVIEPY_VERSION = "2.2.1"
VENV = ROOT / ".cache" / "bench-venv"
WORK = ROOT / ".cache" / "bench-out"
MOVIEPY_SCRIPT = "scripts/bench/moviepy_render.py"
FPS = 30
CANVAS_MARGIN = 1.15
ZOOM_TRAVEL = 0.18
BEGIN, END = "<!-- peers -->", "<!-- /peers -->"
# Goals at 720x1280 veryfast: reelforge's wall-time speed-up over each peer.
GOALS = {"ffmpeg CLI": 1.2, "MoviePy": 5.0}

DEFAULT_IMAGE = "fixtures/artists/lumen-vale/context/images/face-guide.png"
DEFAULT_SONG = "fixtures/artists/lumen-vale/songs/paper-lanterns/paper-lanterns.mp3"
DEFAULT_CAPTION = "Paper lanterns drifting over the river tonight"
FONTS = ["assets/fonts/DejaVuSans-Bold.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"]


def die(msg):
    print(f"bench-peers: {msg}", file=sys.stderr)
    sys.exit(1)


def say(msg):
    print(f"==> {msg}", file=sys.stderr, flush=True)


def rel(p):
    """Paths inside the repo are written relative to it, so the printed commands are short and
    copy-pastable from the repo root."""
    # abspath, not resolve: the venv's python is a symlink that must stay one.
    p = Path(os.path.abspath(p))
    try:
        return str(p.relative_to(ROOT))
    except ValueError:
        return str(p)


# ---------------------------------------------------------------- the job, three ways


@dataclass
class Job:
    image: str
    song: str
    start: float
    duration: float
    caption: str
    font: str
    width: int
    height: int
    preset: str
    crf: int

    @property
    def size(self):
        return f"{self.width}x{self.height}"

    @property
    def frames(self):
        return round(self.duration * FPS)


def fmt_num(x):
    return f"{x:g}"


def reelforge_cmd(job, exe, out):
    return [
        exe, "clip",
        "--image", job.image,
        "--audio", job.song,
        "--start", fmt_num(job.start),
        "--duration", fmt_num(job.duration),
        "--caption", job.caption,
        "--movement", "push_in",
        "--size", job.size,
        "--preset", job.preset,
        "--crf", str(job.crf),
        "--out", out,
    ]


def ff_escape(text):
    """Escapes a drawtext value for both levels ffmpeg parses: the filter's option list, then
    the filtergraph."""
    lvl1 = re.sub(r"([\\':])", r"\\\1", text)
    return re.sub(r"([\\'\[\],;])", r"\\\1", lvl1)


def ffmpeg_filtergraph(job):
    w, h, n = job.width, job.height, job.frames
    cw = round(w * CANVAS_MARGIN) // 2 * 2
    ch = round(h * CANVAS_MARGIN) // 2 * 2
    # zoompan's zoom is relative to its input, the canvas: 1.15 there is reelforge's zoom 1
    # (the frame at canvas scale), so multiply the push-in by the margin to frame alike.
    p = f"(on/{n})"
    ease = f"{p}*{p}*{p}*({p}*({p}*6-15)+10)"
    z = f"{fmt_num(CANVAS_MARGIN)}*(1+{fmt_num(ZOOM_TRAVEL)}*{ease})"
    parts = [
        f"scale={cw}:{ch}:force_original_aspect_ratio=increase",
        f"crop={cw}:{ch}",
        # Once, on the single input frame: zoompan then scales YUV, not RGB, every frame.
        "format=yuv420p",
        f"zoompan=z={z}:x=iw/2-(iw/zoom/2):y=ih/2-(ih/zoom/2):d={n}:s={w}x{h}:fps={FPS}",
    ]
    lay = layout(job.caption, w, h)
    font = ff_escape(job.font)
    # One drawtext per line: FFmpeg 5.1's drawtext cannot centre lines within a block. Its y
    # is the top of the line's tallest glyph (max_glyph_a above the baseline); put every
    # baseline at the line's top + the font's ascent instead, as Pillow and reelforge do.
    asc = font_ascent(job.font, lay.font_size)
    for line, top in zip(lay.lines, lay.line_tops()):
        parts.append(
            f"drawtext=fontfile={font}:text={ff_escape(line)}:expansion=none"
            f":fontsize={lay.font_size}:fontcolor=white:borderw={lay.border}:bordercolor=black"
            f":x=(w-text_w)/2:y={top + asc}-max_glyph_a"
        )
    return ",".join(parts)


def ffmpeg_cmd(job, out):
    return [
        "ffmpeg", "-hide_banner", "-nostdin", "-y",
        "-i", job.image,
        "-ss", fmt_num(job.start), "-t", fmt_num(job.duration), "-i", job.song,
        "-filter_complex", f"[0:v]{ffmpeg_filtergraph(job)}[v]",
        # No -frames:v: zoompan's d already gives the frame count, and a frame limit would end
        # the file (audio too) as soon as the last video frame is written.
        "-map", "[v]", "-map", "1:a",
        "-c:v", "libx264", "-preset", job.preset, "-crf", str(job.crf), "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "128k", "-ac", "2",
        "-movflags", "+faststart",
        out,
    ]


def moviepy_cmd(job, out):
    return [
        rel(VENV / "bin" / "python"), MOVIEPY_SCRIPT,
        "--image", job.image,
        "--audio", job.song,
        "--start", fmt_num(job.start),
        "--duration", fmt_num(job.duration),
        "--caption", job.caption,
        "--font", job.font,
        "--size", job.size,
        "--preset", job.preset,
        "--crf", str(job.crf),
        "--out", out,
    ]


# MoviePy defaults to the ffmpeg binary bundled with imageio-ffmpeg; point it at the system one
# so all three tools encode with the same libx264.
MOVIEPY_ENV = {"FFMPEG_BINARY": shutil.which("ffmpeg") or "ffmpeg"}


@dataclass
class Tool:
    name: str
    build: object  # (job, out) -> argv
    env: dict = field(default_factory=dict)

    def shell(self, job, out):
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.env.items())
        cmd = shlex.join(self.build(job, out))
        return f"{env} {cmd}" if env else cmd


# ---------------------------------------------------------------- measuring


def set_subreaper():
    # Orphaned grandchildren (an ffmpeg a Python script forgot to wait for) then come back to
    # us, so their CPU time lands in RUSAGE_CHILDREN instead of vanishing with init.
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


PAGE = os.sysconf("SC_PAGE_SIZE")


def tree_rss(pid):
    """Resident bytes of pid and all its descendants, now."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * PAGE
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except (OSError, ValueError):
            pass
    return total


class PeakSampler(threading.Thread):
    """MoviePy's Python process and its ffmpeg encoder are alive together; ru_maxrss reports
    only the larger one, so the tree's sum is sampled too."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak = pid, 0
        self.done = threading.Event()

    def run(self):
        while not self.done.wait(0.05):
            self.peak = max(self.peak, tree_rss(self.pid))


@dataclass
class Run:
    tool: str
    wall: float
    cpu: float
    peak: int  # bytes
    size: int  # bytes
    ok: bool
    error: str = ""


def measure(argv, env, log):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(log, "wb") as lf:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **env}, stdin=subprocess.DEVNULL,
                                stdout=lf, stderr=subprocess.STDOUT)
        sampler = PeakSampler(proc.pid)
        sampler.start()
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        sampler.done.set()
        sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    # Reap anything the child left behind (see set_subreaper).
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            break
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peak = max(ru.ru_maxrss * 1024, sampler.peak)
    return proc.returncode, wall, cpu, peak


def probe(path):
    r = subprocess.run(
        ["ffprobe", "-v", "error", "-count_packets", "-show_entries",
         "stream=codec_type,codec_name,width,height,pix_fmt,channels,nb_read_packets,avg_frame_rate,"
         "duration",
         "-of", "json", str(path)],
        capture_output=True, text=True)
    if r.returncode != 0:
        return None
    return json.loads(r.stdout).get("streams", [])


def verify(path, job):
    """Returns an error message, or "" when the output is the job's video."""
    if not Path(path).is_file():
        return "no output file"
    streams = probe(path)
    if streams is None:
        return "ffprobe could not read the output"
    v = [s for s in streams if s.get("codec_type") == "video"]
    a = [s for s in streams if s.get("codec_type") == "audio"]
    if len(v) != 1 or len(a) != 1:
        return f"expected one video and one audio stream, got {len(v)} and {len(a)}"
    v, a = v[0], a[0]
    problems = []
    if (v.get("width"), v.get("height")) != (job.width, job.height):
        problems.append(f"size {v.get('width')}x{v.get('height')}")
    if int(v.get("nb_read_packets", -1)) != job.frames:
        problems.append(f"{v.get('nb_read_packets')} frames, expected {job.frames}")
    if v.get("codec_name") != "h264" or v.get("pix_fmt") != "yuv420p":
        problems.append(f"video {v.get('codec_name')} {v.get('pix_fmt')}")
    if v.get("avg_frame_rate") != f"{FPS}/1":
        problems.append(f"frame rate {v.get('avg_frame_rate')}")
    if a.get("codec_name") != "aac" or a.get("channels") != 2:
        problems.append(f"audio {a.get('codec_name')} {a.get('channels')} ch")
    # A few AAC frames (23 ms each at 44.1 kHz) of slack for priming and padding.
    a_dur = float(a.get("duration") or 0)
    if abs(a_dur - job.duration) > 0.1:
        problems.append(f"audio {a_dur:.3f} s, expected {fmt_num(job.duration)}")
    return "; ".join(problems)


def tail(path, n=15):
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join("    " + l for l in lines[-n:])


def run_once(tool, job, tag):
    out_dir = WORK / job.size
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{slug(tool.name)}.mp4"
    log = out_dir / f"{slug(tool.name)}-{tag}.log"
    out.unlink(missing_ok=True)
    rc, wall, cpu, peak = measure(tool.build(job, rel(out)), tool.env, log)
    size = out.stat().st_size if out.is_file() else 0
    err = f"exit status {rc}" if rc != 0 else verify(out, job)
    if err:
        say(f"{tool.name} {job.size} {tag}: FAILED ({err}); log {rel(log)}:\n{tail(log)}")
    else:
        say(f"{tool.name} {job.size} {tag}: {wall:.2f} s wall, {cpu:.2f} s CPU, "
            f"{peak / 2**20:.0f} MB, {size / 1024:.0f} KB")
    return Run(tool.name, wall, cpu, peak, size, not err, err)


def slug(name):
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


# ---------------------------------------------------------------- setup and machine facts


def venv_python():
    return VENV / "bin" / "python"


def moviepy_installed():
    py = venv_python()
    if not py.exists():
        return None
    r = subprocess.run([str(py), "-c", "import importlib.metadata as m; print(m.version('moviepy'))"],
                       capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


def ensure_moviepy():
    if moviepy_installed() == MOVIEPY_VERSION:
        return
    say(f"creating {rel(VENV)} with moviepy=={MOVIEPY_VERSION}")
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(venv_python()), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    f"moviepy=={MOVIEPY_VERSION}"], check=True)
    if moviepy_installed() != MOVIEPY_VERSION:
        die("moviepy did not install into the virtualenv")


def first_line(argv):
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"unavailable ({e})"
    out = (r.stdout or r.stderr).strip().splitlines()
    return out[0] if out else f"unavailable (exit {r.returncode})"


def read(path):
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def machine_facts(args, with_moviepy):
    cpu = re.search(r"^model name\s*:\s*(.+)$", read("/proc/cpuinfo"), re.M)
    mem = re.search(r"^MemTotal:\s*(\d+) kB", read("/proc/meminfo"), re.M)
    osr = re.search(r'^PRETTY_NAME="?([^"\n]+)"?', read("/etc/os-release"), re.M)
    facts = {
        "CPU": cpu.group(1).strip() if cpu else platform.processor() or "unknown",
        "cores": f"{len(os.sched_getaffinity(0))} usable ({os.cpu_count()} online)",
        "memory": f"{int(mem.group(1)) / 2**20:.1f} GiB" if mem else "unknown",
        "OS": f"{osr.group(1) if osr else platform.system()}, kernel {platform.release()}",
    }
    if not args.skip_reelforge:
        facts["reelforge"] = first_line([args.reelforge, "--version"])
    facts["ffmpeg"] = first_line(["ffmpeg", "-version"]).split(" Copyright")[0]
    facts["Python (harness)"] = platform.python_version()
    if with_moviepy:
        r = subprocess.run(
            [str(venv_python()), "-c",
             "import importlib.metadata as m; print(', '.join(p + ' ' + m.version(p) for p in "
             "('moviepy', 'numpy', 'pillow', 'imageio-ffmpeg')))"],
            capture_output=True, text=True)
        facts["MoviePy"] = r.stdout.strip() or "unknown"
    return facts


def loadavg():
    return read("/proc/loadavg").split()[:3]


# ---------------------------------------------------------------- report


@dataclass
class Row:
    tool: str
    runs: list

    @property
    def good(self):
        return [r for r in self.runs if r.ok]

    def median(self, attr):
        return statistics.median(getattr(r, attr) for r in self.good)


def table(rows, job, ref="reelforge"):
    ref_row = next((r for r in rows if r.tool == ref and r.good), None)
    out = ["| tool | median wall s | fps | CPU s | peak MB | output KB | reelforge speed-up |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in rows:
        if not row.good:
            reason = row.runs[-1].error if row.runs else "not run"
            out.append(f"| {row.tool} | failed: {reason} | | | | | |")
            continue
        wall = row.median("wall")
        ratio = f"{wall / ref_row.median('wall'):.2f}×" if ref_row else "n/a"
        note = "" if len(row.good) == len(row.runs) else f" ({len(row.good)}/{len(row.runs)} ok)"
        walls = [r.wall for r in row.good]
        spread = f" ({min(walls):.2f}–{max(walls):.2f})" if len(walls) > 1 else ""
        out.append(
            f"| {row.tool}{note} | {wall:.2f}{spread} | {job.frames / wall:.0f} | "
            f"{row.median('cpu'):.2f} | {row.median('peak') / 2**20:.0f} | "
            f"{row.median('size') / 1024:.0f} | {ratio} |")
    return out


def old_reasons(text):
    """Reasons written by hand under missed goals survive a rewrite."""
    return dict(re.findall(r"^\s*- Why \(([^)]+)\): (.+)$", text, re.M))


PLACEHOLDER = "_reason to be written_"


def goals(results, args, reasons):
    out = ["### Goals", "",
           "At 720×1280, preset veryfast: reelforge at least 1.2× the ffmpeg CLI equivalent and at "
           "least 5× MoviePy (ratio = the peer's median wall time ÷ reelforge's).", ""]
    rows = results.get("720x1280")
    if args.preset != "veryfast" or rows is None:
        return out + ["Not measured in this run (needs 720x1280 at preset veryfast).", ""]
    by = {r.tool: r for r in rows}
    rf = by.get("reelforge")
    for peer, goal in GOALS.items():
        row = by.get(peer)
        if rf is None or not rf.good:
            out.append(f"- reelforge vs {peer}: goal ≥ {goal:g}×: not measured (no reelforge result).")
            continue
        if row is None or not row.good:
            out.append(f"- reelforge vs {peer}: goal ≥ {goal:g}×: not measured (no {peer} result).")
            continue
        ratio = row.median("wall") / rf.median("wall")
        verdict = "met" if ratio >= goal else "missed"
        out.append(f"- reelforge vs {peer}: goal ≥ {goal:g}×, measured {ratio:.2f}×: **{verdict}**.")
        if verdict == "missed":
            cpu_ratio = row.median("cpu") / rf.median("cpu")
            out.append(f"  - Why ({peer}): {reasons.get(peer, PLACEHOLDER)}")
            out.append(f"  - CPU time ratio for reference: {cpu_ratio:.2f}× "
                       f"({rf.median('cpu'):.2f} s reelforge, {row.median('cpu'):.2f} s {peer}).")
    return out + [""]


def render_section(args, jobs, tools, results, facts, load_before, load_after, reasons):
    j0 = jobs[0]
    lines = [
        BEGIN,
        "## Peers: reelforge vs the ffmpeg CLI vs MoviePy",
        "",
        f"Written by `scripts/bench-peers.py` on {time.strftime('%Y-%m-%d %H:%M %Z')}; "
        "run it again to refresh this section.",
        "",
        f"One job for all three: `{rel(j0.image)}` cover-cropped to 9:16 on a 1.15× canvas, a push-in "
        "from zoom 1.0 to 1.18 with smootherstep easing, the caption "
        f"\"{j0.caption}\" in white {Path(j0.font).stem} with a black border at the bottom, "
        f"`{rel(j0.song)}` from {fmt_num(j0.start)} s for {fmt_num(j0.duration)} s as AAC stereo "
        f"128 kb/s; libx264 yuv420p {FPS} fps, preset {j0.preset}, CRF {j0.crf}, +faststart; "
        f"{j0.frames} frames. "
        f"{args.runs} measured run(s) per tool and size"
        + ("" if args.no_warmup else ", after one unmeasured warm-up run each")
        + ", the tools alternating run by run; medians shown. Every counted output was checked "
        "with ffprobe (size, frame count, frame rate, codecs, pixel format, audio length).",
        "",
        "### Machine",
        "",
    ]
    lines += [f"- {k}: {v}" for k, v in facts.items()]
    lines += [f"- load average before / after: {' '.join(load_before)} / {' '.join(load_after)}", ""]
    # Only the load before counts: the benchmark itself keeps the cores busy.
    if load_before and float(load_before[0]) > 0.5:
        lines += ["_The machine had other work running (load average above 0.5 at the start): "
                  "wall times are inflated and noisy; CPU times hold up better._", ""]
    if args.quick:
        lines += ["_Quick run (`--quick`): one run, 720×1280 only; not for comparing._", ""]
    for job in jobs:
        lines += [f"### {job.width}×{job.height}", ""]
        lines += table(results[job.size], job)
        lines += [""]
    lines += [
        "median wall s is followed by the fastest and slowest run. fps = frames ÷ median wall "
        "time. CPU s = user + system time of the process and everything it ran. peak MB = the "
        "larger of ru_maxrss and the sampled resident memory of the whole process tree "
        "(MoviePy's Python and its ffmpeg encoder run side by side). reelforge speed-up = the tool's median wall time ÷ reelforge's.",
        "",
    ]
    lines += goals(results, args, reasons)
    lines += ["### Commands", "",
              "From the repository root; OUT.mp4 is where the video goes. The MoviePy script is "
              f"`{MOVIEPY_SCRIPT}`, run with the virtualenv the benchmark creates "
              f"(`python3 -m venv {rel(VENV)} && {rel(VENV)}/bin/pip install moviepy=={MOVIEPY_VERSION}`).",
              ""]
    for job in jobs:
        lines += [f"{job.width}×{job.height}:", "", "```sh"]
        for tool in tools:
            lines += [f"# {tool.name}", tool.shell(job, "OUT.mp4")]
        lines += ["```", ""]
    lines += [END]
    return "\n".join(lines) + "\n"


def write_report(path, section):
    old = read(path)
    if BEGIN in old and END in old:
        pre, rest = old.split(BEGIN, 1)
        post = rest.split(END, 1)[1].lstrip("\n")
        new = pre + section + ("\n" + post if post else "")
    elif old:
        new = old.rstrip("\n") + "\n\n" + section
    else:
        new = "# Benchmarks\n\n" + section
    tmp = Path(str(path) + ".tmp")
    tmp.write_text(new)
    os.replace(tmp, path)


# ---------------------------------------------------------------- main


def parse_size(s):
    m = re.fullmatch(r"(\d+)x(\d+)", s.strip().lower())
    if not m or int(m.group(1)) % 2 or int(m.group(2)) % 2:
        die(f"bad size {s!r}: want WIDTHxHEIGHT, both even")
    return int(m.group(1)), int(m.group(2))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3, help="measured runs per tool and size (3)")
    ap.add_argument("--sizes", default="720x1280,1080x1920")
    ap.add_argument("--reelforge", default="target/release/reelforge", help="reelforge binary")
    ap.add_argument("--out", default="BENCHMARKS.md", help="report to write (BENCHMARKS.md)")
    ap.add_argument("--skip-moviepy", action="store_true")
    ap.add_argument("--skip-reelforge", action="store_true", help="only the peers (no reelforge yet)")
    ap.add_argument("--quick", action="store_true",
                    help="1 run, 720x1280 only, no warm-up (overrides --runs and --sizes)")
    ap.add_argument("--no-warmup", action="store_true", help="skip the unmeasured first run")
    ap.add_argument("--image", default=DEFAULT_IMAGE)
    ap.add_argument("--song", default=DEFAULT_SONG)
    ap.add_argument("--start", type=float, default=5.0)
    ap.add_argument("--duration", type=float, default=8.0)
    ap.add_argument("--caption", default=DEFAULT_CAPTION)
    ap.add_argument("--font", help="TTF for the peers' caption (assets/fonts/DejaVuSans-Bold.ttf)")
    ap.add_argument("--preset", default="veryfast")
    ap.add_argument("--crf", type=int, default=23)
    args = ap.parse_args()

    if args.quick:
        args.runs, args.sizes, args.no_warmup = 1, "720x1280", True
    if args.runs < 1:
        die("--runs must be at least 1")
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    # Paths given on the command line are relative to where it was typed; the runs happen in
    # the repo root. The defaults are repo paths.
    def user(p, default):
        return str(ROOT / p) if p == default else str(Path(p).resolve())

    args.image = user(args.image, DEFAULT_IMAGE)
    args.song = user(args.song, DEFAULT_SONG)
    args.out = user(args.out, "BENCHMARKS.md")
    if "/" in args.reelforge:
        args.reelforge = user(args.reelforge, "target/release/reelforge")
    if args.font:
        args.font = str(Path(args.font).resolve())
    os.chdir(ROOT)

    for what, p in (("image", args.image), ("song", args.song)):
        if not Path(p).is_file():
            die(f"{what} not found: {p}")
    font = args.font or next((f for f in FONTS if Path(f).is_file()), None)
    if not font or not Path(font).is_file():
        die(f"no caption font: tried {', '.join(FONTS)} (apt-get install fonts-dejavu-core)")
    for exe in ("ffmpeg", "ffprobe"):
        if not shutil.which(exe):
            die(f"{exe} not found on PATH")
    if not args.skip_reelforge:
        if not shutil.which(args.reelforge):
            die(f"reelforge binary not found: {args.reelforge} (cargo build --release, "
                "or --skip-reelforge)")
    with_moviepy = not args.skip_moviepy
    if with_moviepy:
        ensure_moviepy()

    tools = []
    if not args.skip_reelforge:
        exe = rel(args.reelforge) if "/" in args.reelforge else args.reelforge
        tools.append(Tool("reelforge", lambda j, o: reelforge_cmd(j, exe, o)))
    tools.append(Tool("ffmpeg CLI", ffmpeg_cmd))
    if with_moviepy:
        tools.append(Tool("MoviePy", moviepy_cmd, MOVIEPY_ENV))

    jobs = [Job(rel(args.image), rel(args.song), args.start, args.duration, args.caption,
                rel(font), w, h, args.preset, args.crf) for w, h in sizes]
    set_subreaper()
    facts = machine_facts(args, with_moviepy)
    load_before = loadavg()
    say(f"load average {' '.join(load_before)}; {len(os.sched_getaffinity(0))} cores")

    results = {}
    for job in jobs:
        runs = {t.name: [] for t in tools}
        if not args.no_warmup:
            for t in tools:
                run_once(t, job, "warmup")
        for i in range(args.runs):
            for t in tools:
                runs[t.name].append(run_once(t, job, f"run{i + 1}"))
        results[job.size] = [Row(t.name, runs[t.name]) for t in tools]

    reasons = old_reasons(read(args.out))
    section = render_section(args, jobs, tools, results, facts, load_before, loadavg(), reasons)
    write_report(args.out, section)
    print(section)
    say(f"wrote {args.out}")
    failed = [f"{r.tool} at {size}" for size, rows in results.items() for r in rows if not r.good]
    if failed:
        die("no valid run for: " + ", ".join(failed))


if __name__ == "__main__":
    main()
