#!/usr/bin/env bash
# The figures of docs/evaluation.md, "Colour", from a finished emoji run on the local stack (after
# `scripts/run.sh --data emoji`, whose model the sampler serves as `emoji`):
#   scripts/colour-figures.sh RUN [samples=191] [out=docs/images]
# 1. the quality of the run's samples (evaluate --data: FLD against the real-vs-real floor, the
#    recognisable share against real emoji's, the class histogram, memorisation) with UniPC-20 and
#    DDPM-250;
# 2. a grid of 16 samples and the reverse process of 4 as a GIF and an MP4, through the gateway;
# 3. the forward process on one emoji (the sunflower) at the article's timesteps.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
RUN="${1:?usage: scripts/colour-figures.sh RUN [samples=191] [out=docs/images]}"
SAMPLES="${2:-191}" OUT="${3:-docs/images}"
eval "$(deploy/local/stack.sh env)"
KEY=(-H "X-API-Key: $GATEWAY_API_KEY")
mkdir -p "$OUT"
scripts/fetch-emoji.sh "$REPO/.run/data/emoji" >/dev/null
for sampler in "--sampler unipc --steps 20" "--sampler ddpm --steps 250"; do
  # shellcheck disable=SC2086
  scripts/ddpm.sh evaluate --run "$RUN" --data .run/data/emoji --samples "$SAMPLES" $sampler 2>&1 | grep -E "^run |classifier"
done
sample() { # body, Accept, file
  curl -sf "${KEY[@]}" -H 'Content-Type: application/json' -H "Accept: $2" -d "$1" "$GATEWAY_URL/v1/samples" -o "$3"
  echo "[figures] $3"
}
sample '{"model":"emoji","count":16,"sampler":"ddpm","steps":250,"seed":1,"output":"grid"}' image/png "$OUT/emoji-grid.png"
video='{"model":"emoji","count":4,"sampler":"ddpm","steps":250,"seed":2,"output":"video"}'
sample "$video" image/gif "$OUT/emoji-reverse.gif"
sample "$video" video/mp4 "$OUT/emoji-reverse.mp4"
scripts/ddpm.sh forward-strip --data .run/data/emoji --index 362 --schedule cosine --out "$OUT/emoji-forward.png" 2>&1 \
  | grep "written"
