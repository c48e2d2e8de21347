#!/usr/bin/env bash
# The portal's catalogs: extract every string of the templates and the portal's Python into
# portal/locale/messages.pot, then merge it into the Vietnamese and English catalogs (new strings
# appear with an empty translation; tests/portal/test_i18n.py fails until each has one).
set -euo pipefail
cd "$(dirname "$0")/.."
locale=src/tongdai/portal/locale
.venv/bin/pybabel -q extract -F babel.cfg -k _ -k lazy --no-location --sort-output --omit-header \
  -o "$locale/messages.pot" src/tongdai/portal
for lang in vi en; do
  po="$locale/$lang/LC_MESSAGES/messages.po"
  if [ -f "$po" ]; then
    .venv/bin/pybabel -q update -i "$locale/messages.pot" -o "$po" -l "$lang" --no-fuzzy-matching --omit-header \
      --ignore-obsolete
  else
    .venv/bin/pybabel -q init -i "$locale/messages.pot" -o "$po" -l "$lang"
  fi
done
