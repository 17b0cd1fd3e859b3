#!/usr/bin/env bash
# Measures whether reelforge's transcription (whisper.cpp through whisper-rs) is at least as good
# as whisper.cpp's own CLI, whisper-cli, built from the same whisper.cpp sources that whisper-rs-sys
# vendors and run on the same ggml model. For each fixture song and two synthesised songs it prints
# word error rate against the known lyrics and real-time factor (wall seconds / audio seconds).
# A development measurement only; not part of the product.
#
# Usage:  scripts/compare-whisper-cli.sh          (needs target/release/reelforge)
# Env:    WCLI_DIR (work and build folder, default /tmp/wcli), MODEL, REELFORGE, THREADS (2),
#         JOBS (build jobs, 2), WHISPER_CPP_GIT (URL or local clone of whisper.cpp: whisper-rs-sys
#         does not ship examples/, so examples/cli comes from the matching release tag there).
# Needs:  cmake, a C++ compiler, git, ffmpeg, sox, espeak-ng, python3.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WCLI_DIR="${WCLI_DIR:-/tmp/wcli}"
MODEL="${MODEL:-$HOME/.local/share/reelforge/models/ggml-tiny.en.bin}"
REELFORGE="${REELFORGE:-$ROOT/target/release/reelforge}"
THREADS="${THREADS:-2}"
JOBS="${JOBS:-2}"
WHISPER_CPP_GIT="${WHISPER_CPP_GIT:-https://github.com/ggml-org/whisper.cpp}"
CLI="$WCLI_DIR/build/bin/whisper-cli"

die() { echo "compare-whisper-cli: $*" >&2; exit 1; }
log() { echo "compare-whisper-cli: $*" >&2; }
for tool in cmake git ffmpeg sox soxi espeak-ng python3; do
    command -v "$tool" >/dev/null 2>&1 || die "missing tool: $tool"
done
[[ -x $REELFORGE ]] || die "no reelforge binary at $REELFORGE (cargo build --release)"
[[ -f $MODEL ]] || die "no model at $MODEL"
mkdir -p "$WCLI_DIR"

# --- whisper-cli from the whisper.cpp vendored by the whisper-rs-sys that Cargo.lock pins --------
SYS_VER="$(awk '$0 == "name = \"whisper-rs-sys\"" { getline; gsub(/"/, "", $3); print $3 }' "$ROOT/Cargo.lock")"
SYS_SRC="$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"whisper-rs-sys-$SYS_VER"/whisper.cpp 2>/dev/null | head -n1 || true)"
[[ -d $SYS_SRC ]] || die "whisper-rs-sys $SYS_VER sources not in the cargo registry (cargo fetch)"
WCPP_VER="$(sed -n 's/^project("whisper.cpp" VERSION \([0-9.]*\)).*/\1/p' "$SYS_SRC/CMakeLists.txt")"
if [[ ! -d $WCLI_DIR/upstream ]]; then
    src="$WHISPER_CPP_GIT"; [[ -d $src ]] && src="file://$(cd "$src" && pwd)"
    log "cloning whisper.cpp v$WCPP_VER from $WHISPER_CPP_GIT"
    git clone -q --depth 1 --branch "v$WCPP_VER" "$src" "$WCLI_DIR/upstream"
fi
if [[ ! -x $CLI ]]; then
    log "building whisper-cli (whisper.cpp $WCPP_VER, -j$JOBS)"
    rm -rf "$WCLI_DIR/src" "$WCLI_DIR/build"
    cp -r "$SYS_SRC" "$WCLI_DIR/src"
    cp -r "$WCLI_DIR/upstream/examples" "$WCLI_DIR/src/examples"
    # Same switches as whisper-rs-sys's build.rs: Release, static, CPU only, native, no OpenMP.
    cmake -S "$WCLI_DIR/src" -B "$WCLI_DIR/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
        -DWHISPER_BUILD_TESTS=OFF -DWHISPER_BUILD_EXAMPLES=ON -DWHISPER_BUILD_SERVER=OFF \
        -DWHISPER_SDL2=OFF -DWHISPER_CURL=OFF -DWHISPER_FFMPEG=OFF -DGGML_NATIVE=ON -DGGML_OPENMP=OFF \
        -DGGML_METAL=OFF -DGGML_CUDA=OFF -DGGML_VULKAN=OFF -DGGML_BLAS=OFF >"$WCLI_DIR/cmake.log" 2>&1
    cmake --build "$WCLI_DIR/build" --target whisper-cli -j "$JOBS" >>"$WCLI_DIR/cmake.log" 2>&1
fi
same=identical
for d in src include ggml/src ggml/include; do
    diff -rq "$SYS_SRC/$d" "$WCLI_DIR/upstream/$d" >/dev/null || same=DIFFERENT
done

# --- two synthesised songs: espeak-ng voice over a sox synth bed, fully deterministic -----------
sx() { sox -R -D -V1 "$@"; }   # repeatable random seed, no dither
# synth_song SLUG VOICE WPM BPM "ROOT..." (chord roots in semitones from A440) < lyrics, one line each
synth_song() {
    local slug="$1" voice="$2" wpm="$3" bpm="$4" w roots parts=() bars=()
    w="$WCLI_DIR/synth/$slug.work"
    read -r -a roots <<<"$5"
    mapfile -t lines
    rm -rf "$w"; mkdir -p "$w"
    printf '%s\n' "${lines[@]}" >"$WCLI_DIR/synth/$slug.txt"
    sx -r 22050 -c 1 -b 16 -n "$w/intro.wav" trim 0 2
    parts+=("$w/intro.wav")
    for i in "${!lines[@]}"; do
        espeak-ng -v "$voice" -s "$wpm" -w "$w/raw$i.wav" "${lines[$i]}"
        # Trim espeak's own silence, level every line, then 1.5 beats of music before the next.
        sx "$w/raw$i.wav" "$w/line$i.wav" silence 1 0.01 0.1% reverse silence 1 0.01 0.1% reverse \
            norm -3 pad 0 "$(python3 -c "print(round(60 / $bpm * 1.5, 4))")"
        parts+=("$w/line$i.wav")
    done
    sx "${parts[@]}" "$w/voice.wav" pad 0 1.5
    local total beat bar nbars b=0 step=(0 4 7 12)
    total="$(soxi -D "$w/voice.wav")"
    beat="$(python3 -c "print(round(60 / $bpm, 6))")"
    bar="$(python3 -c "print(round(4 * $beat, 6))")"
    nbars="$(python3 -c "import math; print(math.ceil($total / (4 * $beat)))")"
    while ((b < nbars)); do
        local r="${roots[$((b % ${#roots[@]}))]}"
        sx -r 44100 -c 3 -b 16 -n "$w/pad.wav" synth "$bar" sine "%$((r - 24))" sine "%$((r - 20))" \
            sine "%$((r - 17))" remix - fade q 0.05 "$bar" 0.2
        for k in 0 1 2 3; do
            sx -r 44100 -c 1 -b 16 -n "$w/n$k.wav" synth "$beat" pluck "%$((r - 12 + step[k]))" fade q 0 "$beat" 0.05
        done
        sx "$w/n0.wav" "$w/n1.wav" "$w/n2.wav" "$w/n3.wav" "$w/arp.wav"
        sx -m -v 0.6 "$w/pad.wav" -v 0.8 "$w/arp.wav" "$w/bar$b.wav"
        bars+=("$w/bar$b.wav"); b=$((b + 1))
    done
    sx "${bars[@]}" -r 22050 "$w/bed.wav" trim 0 "$total" norm -18
    sx -m -v 1 "$w/voice.wav" -v 1 "$w/bed.wav" "$w/mix.wav" norm -1
    sx "$w/mix.wav" -r 44100 -c 2 "$WCLI_DIR/synth/$slug.wav"
}
mkdir -p "$WCLI_DIR/synth"
log "synthesising songs into $WCLI_DIR/synth"
synth_song glass-harbor en-us+f3 120 96 "0 -4 3 -2" <<'EOF'
Morning light on the glass harbor
Seagulls calling out my name
I left a letter by the water
Hoping you would read the same
Every wave that rolls back to me
Carries something you forgot
EOF
synth_song copper-wires en-gb+m4 190 138 "-5 2 -3 0" <<'EOF'
Copper wires humming in the city after midnight
Neon signs are blinking out a message just for you
We keep running down the avenue together
Counting every window with a light still burning
Nobody can tell us where the river ends tonight
So we follow every footstep of the moon
EOF

# --- word error rate: normalised words, Levenshtein distance / reference words ------------------
cat >"$WCLI_DIR/wer.py" <<'PY'
import re, sys
def words(t):
    t = t.lower().replace("\u2019", "'").replace("\u2018", "'")
    t = re.sub(r"\[[^\]]*\]|\([^)]*\)|\*[^*]*\*|\u266a", " ", t)  # non-speech tags: [music], (upbeat)
    t = re.sub(r"[^\w\s']|_", " ", t)
    t = re.sub(r"(?<!\w)'|'(?!\w)", " ", t)                          # keep only in-word apostrophes
    return t.split()
ref, hyp = (words(open(p, encoding="utf-8").read()) for p in sys.argv[1:3])
d = [[j for j in range(len(hyp) + 1)]] + [[i] + [0] * len(hyp) for i in range(1, len(ref) + 1)]
for i in range(1, len(ref) + 1):
    for j in range(1, len(hyp) + 1):
        d[i][j] = min(d[i-1][j] + 1, d[i][j-1] + 1, d[i-1][j-1] + (ref[i-1] != hyp[j-1]))
ops, i, j = [], len(ref), len(hyp)
while i or j:
    if i and j and d[i][j] == d[i-1][j-1] + (ref[i-1] != hyp[j-1]):
        if ref[i-1] != hyp[j-1]: ops.append(f"{ref[i-1]}->{hyp[j-1]}")
        i, j = i - 1, j - 1
    elif i and d[i][j] == d[i-1][j] + 1: ops.append(f"-{ref[i-1]}"); i -= 1
    else: ops.append(f"+{hyp[j-1]}"); j -= 1
with open(sys.argv[3], "w") as f: f.write(" ".join(reversed(ops)) + "\n")
print(d[-1][-1], len(ref))
PY

# --- run both tools on every song --------------------------------------------------------------
OUT="$WCLI_DIR/results"; rm -rf "$OUT" "$WCLI_DIR/songs" "$WCLI_DIR/wav"; mkdir -p "$OUT" "$WCLI_DIR/songs" "$WCLI_DIR/wav"
SONGS=()
for f in "$ROOT"/fixtures/artists/*/songs/*/*.{mp3,ogg,flac,wav,m4a}; do
    [[ -f $f ]] && SONGS+=("$f|$(dirname "$f")/lyrics.txt")
done
for s in glass-harbor copper-wires; do SONGS+=("$WCLI_DIR/synth/$s.wav|$WCLI_DIR/synth/$s.txt"); done
CLI_ARGS=(-m "$MODEL" -t "$THREADS" -l en)
GREEDY_ARGS=(-bs 1 -bo 1)
cat "$MODEL" >/dev/null   # same warm page cache for every run
now() { date +%s.%N; }
rows=(); tot=(0 0 0 0 0 0 0)   # errors: rf, cli, greedy; ref words; secs audio; secs rf; secs cli
for entry in "${SONGS[@]}"; do
    song="${entry%%|*}"; lyrics="${entry#*|}"; file="$(basename "$song")"; name="${file%.*}"
    log "transcribing $name"
    # A lone copy: no songs/<slug>/lyrics.txt beside it, so nothing can align to the known lyrics.
    cp "$song" "$WCLI_DIR/songs/$file"
    ffmpeg -nostdin -loglevel error -y -i "$song" -ar 16000 -ac 1 -c:a pcm_s16le "$WCLI_DIR/wav/$name.wav"
    secs="$(soxi -D "$WCLI_DIR/wav/$name.wav")"
    t0="$(now)"
    "$REELFORGE" --model "$MODEL" transcribe "$WCLI_DIR/songs/$file" --no-lyrics --no-cache \
        --threads "$THREADS" --json >"$OUT/$name.reelforge.json" 2>"$OUT/$name.reelforge.log"
    t1="$(now)"
    "$CLI" "${CLI_ARGS[@]}" -otxt -of "$OUT/$name.cli-default" -f "$WCLI_DIR/wav/$name.wav" >"$OUT/$name.cli-default.log" 2>&1
    t2="$(now)"
    "$CLI" "${CLI_ARGS[@]}" "${GREEDY_ARGS[@]}" -otxt -of "$OUT/$name.cli-greedy" -f "$WCLI_DIR/wav/$name.wav" >"$OUT/$name.cli-greedy.log" 2>&1
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["fullLyrics"])' \
        "$OUT/$name.reelforge.json" >"$OUT/$name.reelforge.txt"
    row="| $name | $(printf %.1f "$secs")"; k=0
    for tool in reelforge cli-default cli-greedy; do
        read -r err n < <(python3 "$WCLI_DIR/wer.py" "$lyrics" "$OUT/$name.$tool.txt" "$OUT/$name.$tool.diff")
        row+=" | $(python3 -c "print(f'{100 * $err / $n:.1f} % ($err/$n)')")"
        tot[k]=$((tot[k] + err)); k=$((k + 1))
    done
    tot[3]=$((tot[3] + n))
    read -r rrf rcli tot[4] tot[5] tot[6] < <(python3 -c "a, b, c, s = $t0, $t1, $t2, $secs
print(f'{(b - a) / s:.3f} {(c - b) / s:.3f} {${tot[4]} + s} {${tot[5]} + b - a} {${tot[6]} + c - b}')")
    rows+=("$row | $rrf | $rcli |")
done

# --- report ------------------------------------------------------------------------------------
echo "whisper.cpp $WCPP_VER (whisper-rs-sys $SYS_VER vendored sources; examples/cli from tag v$WCPP_VER," \
     "commit $(git -C "$WCLI_DIR/upstream" rev-parse HEAD); library sources vs tag: $same)"
echo "model $(basename "$MODEL"), $THREADS threads, load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "reelforge:           $(basename "$REELFORGE") transcribe SONG --no-lyrics --no-cache --threads $THREADS --json"
echo "whisper-cli default: whisper-cli ${CLI_ARGS[*]/#$HOME/\~} -otxt -of OUT -f SONG.16k.wav"
echo "whisper-cli greedy:  whisper-cli ${CLI_ARGS[*]/#$HOME/\~} ${GREEDY_ARGS[*]} -otxt -of OUT -f SONG.16k.wav"
echo
echo "| song | audio s | reelforge WER | whisper-cli (default) WER | whisper-cli greedy WER | reelforge RTF | whisper-cli RTF |"
echo "|---|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
python3 -c "e, n, s, a, b = [${tot[0]}, ${tot[1]}, ${tot[2]}], ${tot[3]}, ${tot[4]}, ${tot[5]}, ${tot[6]}
print(f'| **all** | {s:.1f} | ' + ' | '.join(f'{100 * x / n:.1f} % ({x}/{n})' for x in e) + f' | {a / s:.3f} | {b / s:.3f} |')"
echo
echo "Transcripts, word diffs (-missed +inserted ref->heard) and logs: $OUT"
