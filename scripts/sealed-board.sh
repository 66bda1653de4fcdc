#!/usr/bin/env bash
# The steps of the sealed-board workflow in docs/guide/ci.md, runnable on any machine: build a
# sealed test split from a secret, score it inside the OS sandbox, and publish only the board.
#
#   SANDTRAP_SEALED_SEED  the secret (≥ 32 hex digits); required: in CI, a repository secret
#   SEALED_SPEC           a zoo spec file (default: the hard preset)
#   SEALED_CONFIG         a sandtrap config file (detectors with options, budgets); default: none
#   SEALED_DETECTORS      detectors to score (default: the config's, else every built-in)
#   SEALED_WORK           private folder for the zoo, its key and the raw results (default: a new temp folder)
#   SEALED_PUBLISH        where the board goes (default: sealed-board)
#   SEALED_KEEP=1         keep SEALED_WORK afterwards (default: removed, key included)
#   SANDTRAP              the CLI (default: npx --no-install sandtrap)
set -euo pipefail

: "${SANDTRAP_SEALED_SEED:?set SANDTRAP_SEALED_SEED to the secret (openssl rand -hex 32)}"
read -r -a sandtrap <<<"${SANDTRAP:-npx --no-install sandtrap}"
work="${SEALED_WORK:-$(mktemp -d)}"
publish="${SEALED_PUBLISH:-sealed-board}"
default_detectors="random,metadata-leak,confidence,difficulty-profile,context-consistency,meta-classifier,noise-injection,finetune-elicitation,latent-knowledge,trigger-reconstruction"
if [[ -n "${SEALED_SPEC:-}" ]]; then spec=(--spec "$SEALED_SPEC"); else spec=(--preset hard); fi
score=()
[[ -n "${SEALED_CONFIG:-}" ]] && score+=(--config "$SEALED_CONFIG")
if [[ -n "${SEALED_DETECTORS:-}" ]]; then score+=(--detectors "$SEALED_DETECTORS"); elif [[ -z "${SEALED_CONFIG:-}" ]]; then score+=(--detectors "$default_detectors"); fi
cleanup() { [[ "${SEALED_KEEP:-}" == 1 ]] || rm -rf "$work"; }
trap cleanup EXIT

# 1. Build: the test split's seeds, ids and word names come from the secret; the key (secret and
#    test truth) is written beside the zoo, never into it. The build log names no secret seed.
"${sandtrap[@]}" zoo build "${spec[@]}" --sealed --out "$work/zoo" --key-out "$work/key.json"

# 2. Score inside bubblewrap (a sealed run refuses to start without it); the key is read by the
#    runner only. The secret leaves the environment first: detectors get an allow-listed one anyway.
env -u SANDTRAP_SEALED_SEED "${sandtrap[@]}" scoreboard --zoo "$work/zoo" --sealed-key "$work/key.json" \
  "${score[@]}" --out "$work/report" --sandbox bwrap

# 3. Publish the board and nothing else: no organism, no key, no results lines.
mkdir -p "$publish"
cp "$work/report/scoreboard.json" "$work/report/scoreboard.md" "$work/report/scoreboard.html" "$publish/"
node -e 'const b = require(process.argv[1]); console.log(`published ${b.zoo.name} (sealed, commitment ${b.zoo.sealed.commitment}) to ${process.argv[2]}`)' \
  "$(cd "$publish" && pwd)/scoreboard.json" "$publish"
