#!/usr/bin/env bash
# Seed corpora of the fuzz targets from the repository's own fixtures (and
# the built-in rule packs):
#   fuzz/corpus/<target>/  (generated, not committed; libFuzzer grows it)
# Snapshot and baseline seeds are written by parity itself (built without
# the `aws` feature) from fixtures/shop. Idempotent: files are named by
# their SHA-1, as libFuzzer names what it adds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
corpus="$here/corpus"
cd "$repo"

add() { # target file...
    local target=$1
    shift
    mkdir -p "$corpus/$target"
    local f
    for f in "$@"; do
        [ -s "$f" ] || continue
        cp "$f" "$corpus/$target/$(sha1sum <"$f" | cut -c1-40)"
    done
}

mapfile -t tf < <(find fixtures tests -type f \( -name '*.tf' -o -name '*.tfvars' -o -name '*.tf.json' -o -name '*.hcl' \) | sort)
add hcl "${tf[@]}"
mapfile -t st < <(find fixtures tests -type f \( -name '*.tfstate' -o -name '*.plan.json' -o -name '*.show.json' \) | sort)
add state "${st[@]}"
mapfile -t cfg < <(find fixtures tests -type f -name 'parity.toml' | sort)
add config "${cfg[@]}"
add rules rules/*.toml

# Snapshots and baselines, written by parity from fixtures/shop.
cargo build --quiet --no-default-features --bin parity
bin="${CARGO_TARGET_DIR:-$repo/target}/debug/parity"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
shop="$repo/fixtures/shop"
for env in staging prod; do
    # Exit 3: the shop's remote module stays unexpanded (not a failure here).
    (cd "$shop" && "$bin" snapshot "$env" -o "$tmp/$env.snapshot.json") || [ $? -eq 3 ]
done
(cd "$shop" && "$bin" check --format json --write-baseline "$tmp/all.baseline.json" >/dev/null) || true
(cd "$shop" && "$bin" diff staging prod --format json >"$tmp/one.report.json") || true
(cd "$shop" && "$bin" check --format json --baseline "$tmp/all.baseline.json" >"$tmp/statuses.report.json") || true
add snapshot "$tmp"/*.snapshot.json
add baseline "$tmp"/*.baseline.json "$tmp"/*.report.json

for t in hcl state config snapshot baseline rules; do
    printf '%-9s %5d files\n' "$t" "$(find "$corpus/$t" -type f | wc -l)"
done
