#!/usr/bin/env bash
# Downloads Multi30K task 1 (raw, untokenised EN/DE/FR: train, val, test_2016_flickr) from the
# dataset's public repository into data/multi30k/, the folder configs/multi30k-en-de.json reads.
#
#   bash scripts/download-multi30k.sh [DESTINATION]
#
# Files are fetched into a temporary folder, decompressed and checked for their line counts
# (29,000 / 1,014 / 1,000) before they are moved into place, so an interrupted run never leaves
# a half-written corpus behind. Machines without internet access can point the configs at a copy
# instead (for example with --set data.train_source=...).
set -euo pipefail

destination="${1:-$(dirname "$0")/../data/multi30k}"
base="https://github.com/multi30k/dataset/raw/master/data/task1/raw"
declare -A expected_lines=([train]=29000 [val]=1014 [test_2016_flickr]=1000)

if command -v curl >/dev/null; then
  fetch() { curl --fail --location --silent --show-error --output "$2" "$1"; }
elif command -v wget >/dev/null; then
  fetch() { wget --quiet --output-document="$2" "$1"; }
else
  echo "Error: neither curl nor wget is installed; install one of them and run again" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

for split in train val test_2016_flickr; do
  for language in en de fr; do
    name="$split.$language"
    echo "fetching $name" >&2
    if ! fetch "$base/$name.gz" "$work/$name.gz"; then
      echo "Error: could not download $base/$name.gz (no network access?)" >&2
      exit 1
    fi
    gunzip "$work/$name.gz"
    lines=$(wc -l < "$work/$name")
    if [ "$lines" -ne "${expected_lines[$split]}" ]; then
      echo "Error: $name has $lines lines, expected ${expected_lines[$split]}" >&2
      exit 1
    fi
  done
done

mkdir -p "$destination"
mv "$work"/*.{en,de,fr} "$destination"/
echo "wrote Multi30K task 1 to $destination" >&2
