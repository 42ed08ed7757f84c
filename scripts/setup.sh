#!/usr/bin/env bash
# Set up everything earmark needs on a fresh Debian machine: FFmpeg, chromium, a virtual environment
# in .venv, and earmark with its extras.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: FFmpeg's libraries (torchcodec) and binary (test inputs), chromium (the browser
# test of earmark serve's page drives it with Playwright; Playwright's own browser download is not used).
NEED=""
ldconfig -p 2>/dev/null | grep -q 'libavcodec\.so' || NEED="$NEED ffmpeg"
command -v chromium >/dev/null || NEED="$NEED chromium"
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
# torch==2.13.0 is pinned in pyproject.toml: on this project's machines it is a local CPU wheel.
.venv/bin/python -m pip install -q -e ".[datasets,whisper,wake,onnx,serve,batch,ray,eval,train,dev]"
# wyoming-openwakeword carries openWakeWord's models but pins tflite-runtime (broken on numpy 2).
.venv/bin/python -m pip install -q --no-deps "wyoming-openwakeword==1.8.2"
