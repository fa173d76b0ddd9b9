#!/usr/bin/env bash
# Fetches a real film to try vidseek on: the Big Buck Bunny trailer (CC-BY, Blender Foundation) that
# ships inside moviepy's source package on PyPI. Writes examples/media/trailer_bbb.mp4.
set -euo pipefail
cd "$(dirname "$0")"
out=media/trailer_bbb.mp4
[ -f "$out" ] && { echo "$out"; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download -q --no-deps --no-binary :all: -d "$tmp" moviepy==2.2.1
tar -xzf "$tmp"/moviepy-2.2.1.tar.gz -C "$tmp" moviepy-2.2.1/docs/_static/medias/getting_started/moviepy_10_minutes/trailer_bbb.mp4
mkdir -p media
mv "$tmp"/moviepy-2.2.1/docs/_static/medias/getting_started/moviepy_10_minutes/trailer_bbb.mp4 "$out"
echo "$out"
