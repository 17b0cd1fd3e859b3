#!/usr/bin/env bash
# Regenerates the generated test fixtures under fixtures/:
#
#   fixtures/artists/lumen-vale/songs/<slug>/<slug>.<ext>   (song audio)
#   fixtures/artists/lumen-vale/songs/<slug>/lyrics.txt     (one sung line per line)
#   fixtures/artists/lumen-vale/songs/<slug>/timing.json    (exact start/end of every line)
#   fixtures/artists/lumen-vale/context/images/face-guide.png
#   fixtures/artists/lumen-vale/context/images/face-guide-alt.jpg
#
# Usage (from the repository root):   bash scripts/make-fixtures.sh
#   ONLY=<slug> remakes that one song and nothing else.
#
# Songs in other languages (for multilingual transcription) go to
# fixtures/other-languages/<slug>/, outside the artist, so that they do not change which songs
# the artist's batches draw.
#
# Needs: bash, python3 (with pip and venv), espeak-ng, sox, ffmpeg (built with
# libmp3lame and libvorbis), unzip. On Debian/Ubuntu:
#   apt-get install espeak-ng sox libsox-fmt-all ffmpeg unzip
#
# Network: the face guides come from the scikit-image wheel on PyPI and are
# re-encoded with Pillow; both are fetched with pip into a temporary directory.
# Set SKIMAGE_WHEEL=/path/to/scikit_image-*.whl to use a wheel you already have,
# and SKIP_IMAGES=1 to regenerate only the songs (no network needed then).
#
# The output is deterministic: the songs are built line by line from speech
# synthesised by espeak-ng over a music bed made from sox's synth effect (no
# noise sources, no dither), so timing.json holds the exact sample positions of
# every line converted to seconds.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ARTIST_DIR="$ROOT/fixtures/artists/lumen-vale"
SONGS_DIR="$ARTIST_DIR/songs"
IMAGES_DIR="$ARTIST_DIR/context/images"

SKIMAGE_VERSION="${SKIMAGE_VERSION:-0.25.2}"
PILLOW_VERSION="${PILLOW_VERSION:-11.3.0}"

# Master format of every song before encoding: mono, 22050 Hz, 16 bit.
RATE=22050
INTRO_SAMPLES=33075   # 1.5 s of music before the first line
GAP_SAMPLES=19845     # 0.9 s of music between two lines
TAIL_SAMPLES=44100    # 2.0 s instrumental tail after the last line
VOICE_PEAK_DB=-3      # every synthesised line is normalised to this peak level
BED_RATE=44100        # music bed synthesis rate (a multiple of RATE)
MUSIC_BELOW_DB=15     # music bed RMS sits this far below the voice RMS

for tool in espeak-ng sox soxi ffmpeg python3 unzip; do
    command -v "$tool" >/dev/null 2>&1 || { echo "make-fixtures: missing tool: $tool" >&2; exit 1; }
done

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# sox with repeatable mode (-R) and no dither (-D), quiet unless something fails.
sx() { sox -R -D -V1 "$@"; }

# RMS level of a file in dBFS, as printed by sox's stats effect.
rms_db() { sox -R -D "$1" -n stats 2>&1 | awk '/^RMS lev dB/ { print $4 }'; }

silence() { # silence OUT SAMPLES
    sx -r "$RATE" -c 1 -n -b 16 "$1" trim 0 "${2}s"
}

# ---------------------------------------------------------------------------
# Music bed
# ---------------------------------------------------------------------------

# make_bed OUT TOTAL_SAMPLES STYLE CHORD...
#   The bed is synthesised at BED_RATE (sox's pluck needs 44.1 kHz or more) and
#   resampled to RATE; TOTAL_SAMPLES counts RATE samples.
#   Each CHORD is four comma-separated note names (root first), one bar each
#   (2 s, 120 bpm); the chords loop until TOTAL_SAMPLES is filled.
#   STYLE: pluck | drive | pad
make_bed() {
    local out="$1" total="$2" style="$3"; shift 3
    local d="$WORK/bed"; rm -rf "$d"; mkdir -p "$d"
    local bars=() i=0 chord n1 n2 n3 n4
    for chord in "$@"; do
        IFS=, read -r n1 n2 n3 n4 <<<"$chord"
        # Sustained pad: four tones, soft attack and release inside the bar.
        case "$style" in
            drive) sx -r "$BED_RATE" -c 4 -n -c 1 -b 16 "$d/pad$i.wav" \
                       synth 2 triangle "$n1" triangle "$n2" triangle "$n3" triangle "$n4" \
                       remix - lowpass 1200 fade q 0.05 2 0.2 ;;
            *)     sx -r "$BED_RATE" -c 4 -n -c 1 -b 16 "$d/pad$i.wav" \
                       synth 2 sine "$n1" sine "$n2" sine "$n3" sine "$n4" \
                       remix - fade q 0.3 2 0.5 ;;
        esac
        # Rhythm part: strummed pluck chords (pluck, pad) or a pulsing bass (drive).
        case "$style" in
            pluck) sx -r "$BED_RATE" -c 3 -n -c 1 -b 16 "$d/half$i.wav" \
                       synth 1 pluck "$n2" pluck "$n3" pluck "$n4" delay 0 0.04 0.08 remix - fade q 0 1 0.1
                   sx "$d/half$i.wav" "$d/half$i.wav" "$d/rh$i.wav" ;;
            drive) sx -r "$BED_RATE" -c 1 -n -b 16 "$d/b$i.wav" \
                       synth 0.25 sine "${n1%?}2" fade q 0.005 0.25 0.1
                   sx "$d/b$i.wav" "$d/rh$i.wav" repeat 7 ;;
            pad)   sx -r "$BED_RATE" -c 1 -n -b 16 "$d/rh$i.wav" \
                       synth 2 pluck "${n1%?}4" fade q 0 2 0.3 ;;
        esac
        sx -m -v 1 "$d/pad$i.wav" -v 0.8 "$d/rh$i.wav" "$d/bar$i.wav"
        bars+=("$d/bar$i.wav"); i=$((i + 1))
    done
    sx "${bars[@]}" "$d/loop.wav"

    # Soft kick: one per beat (drive), every other beat (pluck), none (pad).
    local beat=""
    case "$style" in
        drive) beat=$((BED_RATE / 2)) ;;
        pluck) beat=$BED_RATE ;;
    esac
    if [[ -n "$beat" ]]; then
        sx -r "$BED_RATE" -c 1 -n -b 16 "$d/kick1.wav" synth 0.14 sine 110:45 fade q 0.002 0.14 0.12 pad 0 "$((beat - BED_RATE * 14 / 100))s"
        sx "$d/kick1.wav" "$d/kick.wav" repeat $(( $(soxi -s "$d/loop.wav") / beat - 1 ))
        sx -m -v 1 "$d/loop.wav" -v 0.9 "$d/kick.wav" "$d/loop2.wav"
        mv "$d/loop2.wav" "$d/loop.wav"
    fi

    local loop_len reps
    loop_len="$(soxi -s "$d/loop.wav")"   # in BED_RATE samples
    reps=$(( (total * (BED_RATE / RATE) + loop_len - 1) / loop_len ))
    sx "$d/loop.wav" "$d/long.wav" repeat "$reps"
    sx "$d/long.wav" -r "$RATE" "$d/long_rs.wav" rate -v "$RATE"
    sx "$d/long_rs.wav" "$out" trim 0 "${total}s" fade q 1 "${total}s" 1.8
}

# ---------------------------------------------------------------------------
# One song
# ---------------------------------------------------------------------------

# make_song SLUG EXT TITLE VOICE WPM "PITCH..." STYLE "CHORD..." < lyrics
make_song() {
    local slug="$1" ext="$2" title="$3" voice="$4" wpm="$5" style="$7" pitches chords
    read -r -a pitches <<<"$6"
    read -r -a chords <<<"$8"
    if [[ -n "${ONLY:-}" && "$slug" != "$ONLY" ]]; then cat >/dev/null; return 0; fi
    local d="$WORK/$slug"; rm -rf "$d"; mkdir -p "$d"
    local dest="$SONGS_DIR/$slug"; mkdir -p "$dest"

    mapfile -t lines
    printf '%s\n' "${lines[@]}" >"$dest/lyrics.txt"

    silence "$d/intro.wav" "$INTRO_SAMPLES"
    silence "$d/gap.wav" "$GAP_SAMPLES"
    silence "$d/tail.wav" "$TAIL_SAMPLES"

    local parts=("$d/intro.wav") speech=() cursor=$INTRO_SAMPLES i n pitch
    : >"$d/timing.tsv"
    for i in "${!lines[@]}"; do
        pitch="${pitches[$((i % ${#pitches[@]}))]}"
        espeak-ng -v "$voice" -s "$wpm" -p "$pitch" -w "$d/raw$i.wav" "${lines[$i]}"
        # Trim espeak's leading/trailing silence so the line spans exactly the voice.
        sx "$d/raw$i.wav" -r "$RATE" -c 1 -b 16 "$d/line$i.wav" \
            silence 1 1s 0.1% reverse silence 1 1s 0.1% reverse gain -n "$VOICE_PEAK_DB"
        if [[ $i -gt 0 ]]; then
            parts+=("$d/gap.wav")
            cursor=$((cursor + GAP_SAMPLES))
        fi
        n="$(soxi -s "$d/line$i.wav")"
        printf '%d\t%d\t%s\n' "$cursor" "$((cursor + n))" "${lines[$i]}" >>"$d/timing.tsv"
        parts+=("$d/line$i.wav")
        speech+=("$d/line$i.wav")
        cursor=$((cursor + n))
    done
    parts+=("$d/tail.wav")
    local total=$((cursor + TAIL_SAMPLES))

    sx "${parts[@]}" "$d/voice.wav"
    [[ "$(soxi -s "$d/voice.wav")" -eq "$total" ]] || { echo "make-fixtures: $slug: length mismatch" >&2; exit 1; }

    # Music bed, levelled MUSIC_BELOW_DB under the voice (RMS over the sung parts).
    make_bed "$d/bed_raw.wav" "$total" "$style" "${chords[@]}"
    sx "${speech[@]}" "$d/speech.wav"
    local v_db b_db gain
    v_db="$(rms_db "$d/speech.wav")"
    b_db="$(rms_db "$d/bed_raw.wav")"
    gain="$(python3 -c "print(f'{$v_db - $MUSIC_BELOW_DB - ($b_db):.2f}')")"
    sx "$d/bed_raw.wav" "$d/bed.wav" gain "$gain"
    sx -m -v 1 "$d/voice.wav" -v 1 "$d/bed.wav" "$d/mix.wav"

    python3 - "$d/timing.tsv" "$RATE" "$dest/timing.json" <<'PY'
import json, sys
tsv, rate, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = []
with open(tsv, encoding="utf-8") as f:
    for line in f:
        start, end, text = line.rstrip("\n").split("\t", 2)
        rows.append({"start": round(int(start) / rate, 3),
                     "end": round(int(end) / rate, 3),
                     "text": text})
with open(out, "w", encoding="utf-8") as f:
    json.dump(rows, f, indent=2)
    f.write("\n")
PY

    local enc=(-hide_banner -loglevel error -y -i "$d/mix.wav" -map_metadata -1
               -metadata "title=$title" -metadata "artist=Lumen Vale"
               -fflags +bitexact -flags:a +bitexact)
    rm -f "$dest"/*.mp3 "$dest"/*.ogg "$dest"/*.flac
    # Stereo outputs carry the mono master unchanged on both channels.
    local dup=(-af "pan=stereo|c0=c0|c1=c0" -ar 44100)
    case "$ext" in
        mp3)  ffmpeg "${enc[@]}" "${dup[@]}" -c:a libmp3lame -b:a 128k "$dest/$slug.mp3" ;;
        ogg)  ffmpeg "${enc[@]}" "${dup[@]}" -c:a libvorbis -q:a 3 "$dest/$slug.ogg" ;;
        flac) ffmpeg "${enc[@]}" -ar 22050 -ac 1 -sample_fmt s16 -c:a flac -compression_level 8 "$dest/$slug.flac" ;;
        *)    echo "make-fixtures: unknown format $ext" >&2; exit 1 ;;
    esac
    printf '%-15s %5.2f s  %d lines  voice %s dB RMS, music bed %s dB RMS\n' \
        "$slug" "$(python3 -c "print($total / $RATE)")" "${#lines[@]}" "$v_db" "$(rms_db "$d/bed.wav")"
}

# ---------------------------------------------------------------------------
# Songs: lyrics, voice and arrangement
# ---------------------------------------------------------------------------

mkdir -p "$SONGS_DIR"

make_song paper-lanterns mp3 "Paper Lanterns" en-us 145 "50 58 46 54" pluck \
    "C3,E3,G3,C4 G2,D3,G3,B3 A2,E3,A3,C4 F2,C3,F3,A3" <<'EOF'
We let the paper lanterns rise tonight
Every little light is a wish we made
Hold my hand and watch the river glow
The summer air is soft and slow
I can hear your heart above the crowd
We were young and we were loud
Paint the sky with every dream we keep
So let the paper lanterns carry us home
We will never be alone
EOF

make_song night-drive ogg "Night Drive" en 150 "44 52 40 48" drive \
    "A2,E3,A3,C4 F2,C3,F3,A3 C3,E3,G3,C4 G2,D3,G3,B3" <<'EOF'
Windows down on an empty road
City lights are fading in the mirror
Your favorite song is playing on the radio
We sing along and lose the map
We drive until the morning finds us
Nothing here can slow us down
Just the stars and the sound of your voice
Follow the white lines to the sea
Keep on driving through the night
EOF

make_song blue-hour flac "Blue Hour" en-us 140 "56 48 60 52" pad \
    "D3,F#3,A3,C#4 B2,D3,F#3,A3 G2,B2,D3,F#3 A2,C#3,E3,A3" <<'EOF'
The sky turns blue before the dark
I wait for you by the garden gate
Quiet streets and a cold cup of tea
The birds are flying home again
Every shadow knows your name
Stay with me a little longer
Hold the light before it goes
The blue hour never lasts
But I will keep it in my heart
EOF

# Songs in other languages: not the artist's (their batches stay as they are).
SONGS_DIR="$ROOT/fixtures/other-languages"
mkdir -p "$SONGS_DIR"

make_song luces-de-verano ogg "Luces de verano" es 140 "48 56 44 52" pluck \
    "G2,D3,G3,B3 E2,B2,E3,G3 C3,E3,G3,C4 D3,F#3,A3,D4" <<'EOF'
Bailamos bajo la luna llena
Las calles cantan con nosotros
Tu voz es fuego en la noche
Nunca quiero volver a casa
Las estrellas bailan sobre el mar
Mañana será otro día
EOF

if [[ -n "${ONLY:-}" ]]; then
    exit 0
fi

# ---------------------------------------------------------------------------
# Face guides (scikit-image sample photographs)
# ---------------------------------------------------------------------------

if [[ "${SKIP_IMAGES:-0}" == "1" ]]; then
    echo "face guides: skipped (SKIP_IMAGES=1)"
    exit 0
fi

mkdir -p "$IMAGES_DIR"
wheel="${SKIMAGE_WHEEL:-}"
if [[ -z "$wheel" ]]; then
    python3 -m pip download --quiet --no-deps --only-binary=:all: \
        --python-version 3.11 --implementation cp --abi cp311 \
        --platform manylinux_2_17_x86_64 \
        "scikit-image==$SKIMAGE_VERSION" -d "$WORK/wheel"
    wheel="$(ls "$WORK"/wheel/scikit_image-*.whl)"
fi
unzip -q -o "$wheel" skimage/data/astronaut.png skimage/data/camera.png -d "$WORK/sk"

python3 -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install --quiet "pillow==$PILLOW_VERSION"
"$WORK/venv/bin/python" - "$WORK/sk/skimage/data" "$IMAGES_DIR" <<'PY'
import sys
from PIL import Image
src, dst = sys.argv[1], sys.argv[2]

# Astronaut portrait: lossless re-save as an optimised PNG (same pixels, smaller file).
a = Image.open(f"{src}/astronaut.png").convert("RGB")
assert a.size == (512, 512)
a.save(f"{dst}/face-guide.png", "PNG", optimize=True)
assert Image.open(f"{dst}/face-guide.png").convert("RGB").tobytes() == a.tobytes()

# Cameraman photograph: grayscale JPEG, quality 90.
c = Image.open(f"{src}/camera.png").convert("L")
assert c.size == (512, 512)
c.save(f"{dst}/face-guide-alt.jpg", "JPEG", quality=90, optimize=True)
PY
echo "face guides: written to ${IMAGES_DIR#"$ROOT"/}"
