#!/bin/sh
# Record what real Terraform computes for every case in tests/oracle/cases/*.tf
# into tests/oracle/expected.json. tests/oracle.rs reads that file, so the
# tests never need Terraform; run this again after adding or changing cases.
#
# A case is a local whose line starts with two spaces then `NAME =` inside a
# cases/*.tf file (helper locals start with `_` and are not cases). This
# script copies cases/ and files/ to a temporary root, adds one output that
# holds every case in an object (an object keeps null values, which
# `terraform output` would drop from an output of its own), applies it with
# the local backend (no provider, no network) and writes
#   { "terraform_version": "...", "cases": { NAME: VALUE, ... } }
# as printed by `terraform output -json`, keys sorted. Needs terraform,
# jq and python3.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root="$tmp/oracle"
mkdir -p "$root"
cp "$here"/cases/*.tf "$root/"
cp -R "$here/files" "$root/files"
names=$(sed -n 's/^  \([a-z][A-Za-z0-9_]*\) *=.*/\1/p' "$here"/cases/*.tf)
{
  echo 'output "cases" {'
  echo '  value = {'
  for n in $names; do echo "    $n = local.$n"; done
  echo '  }'
  echo '}'
} > "$root/zz_outputs.tf"
export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=/dev/null
cd "$root"
terraform init -input=false -no-color >/dev/null
terraform apply -input=false -auto-approve -no-color >/dev/null
version=$(terraform version -json | jq -r .terraform_version)
# python3, not jq: jq 1.6 rounds integers past 2^53 to floats. Python keeps
# integers exact and prints floats in their shortest round-trip form.
terraform output -json cases | python3 -c '
import json, sys
cases = json.load(sys.stdin)
out = {"terraform_version": sys.argv[1], "cases": cases}
sys.stdout.write(json.dumps(out, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
print("recorded %d cases with Terraform %s" % (len(cases), sys.argv[1]), file=sys.stderr)
' "$version" > "$here/expected.json"
