#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ for a bounded time (FUZZ_SECONDS each, default 60) with
# cargo-fuzz and libFuzzer. Crashes land in fuzz/artifacts/<target>/; copy the input that
# found a bug into the target's regression seeds (fuzz/regressions/<target>/) once fixed.
#
#   scripts/fuzz.sh                 # all targets
#   scripts/fuzz.sh decode_audio    # one target
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`). Builds without a sanitizer so that
# it works on the stable toolchain; the targets still catch panics, hangs (-timeout) and
# runaway memory (-rss_limit_mb).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${FUZZ_SECONDS:-60}"
command -v cargo-fuzz >/dev/null || {
    echo "cargo-fuzz is not installed: cargo install cargo-fuzz --locked" >&2
    exit 2
}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo fuzz list)
fi
# Small valid inputs to start from, made fresh (fuzz/seeds/ is not committed).
seed_media() {
    local dir=seeds/media
    [ -d "$dir" ] && return
    mkdir -p "$dir"
    local q=(-hide_banner -loglevel error -y)
    ffmpeg "${q[@]}" -f lavfi -i sine=frequency=440:duration=0.4 -metadata title=Seed -c:a aac "$dir/a.m4a"
    ffmpeg "${q[@]}" -f lavfi -i sine=frequency=440:duration=0.4 -metadata title=Seed "$dir/a.mp3"
    ffmpeg "${q[@]}" -f lavfi -i sine=frequency=440:duration=0.4 -metadata title=Seed -c:a libvorbis "$dir/a.ogg"
    ffmpeg "${q[@]}" -f lavfi -i sine=frequency=440:duration=0.4 "$dir/a.flac"
    ffmpeg "${q[@]}" -f lavfi -i sine=frequency=440:duration=0.2 "$dir/a.wav"
    mkdir -p seeds/images
    for ext in png jpg webp; do
        ffmpeg "${q[@]}" -f lavfi -i testsrc=size=24x32 -frames:v 1 "seeds/images/a.$ext"
    done
    mkdir -p seeds/json
    cp ../fixtures/jobs/demo.json seeds/json/
    printf '%s' '{"artist_account_id":"5b0f3c1e-8a2d-4c6b-9e71-2d4f6a8b0c13","template":"artist-caption-stage","songs":["https://example.com/a.mp3"],"images":["https://example.com/a.png"],"batch":2,"caption_length":"short","lipsync":false,"language":"en"}' \
        > seeds/json/create.json
}
seeds_for() {
    case "$1" in
    decode_audio | mp4_gapless | song_tags) echo seeds/media ;;
    decode_image) echo seeds/images ;;
    create_request | manifest) echo seeds/json ;;
    tflite_model) echo ../tests/data/vision ;;
    esac
}
seed_media

cargo fuzz build --sanitizer none -O
status=0
for t in "${targets[@]}"; do
    corpus="corpus/$t"
    mkdir -p "$corpus"
    dirs=("$corpus")
    [ -d "regressions/$t" ] && dirs+=("regressions/$t")
    seed=$(seeds_for "$t")
    [ -n "$seed" ] && dirs+=("$seed")
    echo "== $t: ${seconds} s"
    log=$(mktemp)
    if cargo fuzz run --sanitizer none -O "$t" "${dirs[@]}" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$log" 2>&1; then
        grep -E "stat::number_of_executed_runs|stat::peak_rss_mb|DONE" "$log" || true
    else
        tail -40 "$log"
        echo "!! $t failed: the input is in fuzz/artifacts/$t/" >&2
        status=1
    fi
    rm -f "$log"
done
exit $status
