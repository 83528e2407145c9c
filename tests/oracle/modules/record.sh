#!/usr/bin/env bash
# Record what real Terraform plans for each small root module here
# (tests/oracle/modules/*/main.tf) into expected.json, for tests/oracle.rs:
# `terraform plan` then `terraform show -json` of the saved plan, and of
# every planned resource instance its address, its planned values, which of
# them are unknown until apply (`after_unknown`) and which are sensitive
# (`after_sensitive`). The tests read expected.json and never run Terraform.
#
# Recorded with Terraform 1.11.4 and hashicorp/aws 5.100.0 from a local
# filesystem mirror. The AWS provider is configured to call nothing (static
# keys, no credential or account check), and the modules read no data
# source, so planning needs no network.
#
#   MIRROR=/opt/tf-plugins tests/oracle/modules/record.sh
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
mirror="${MIRROR:-/opt/tf-plugins}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cat >"$work/cli.tfrc" <<CFG
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }
}
CFG
export TF_CLI_CONFIG_FILE="$work/cli.tfrc" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1

out="$work/modules.json"
echo '{}' >"$out"
for dir in "$here"/*/; do
  name="$(basename "$dir")"
  cp -R "$dir" "$work/$name"
  (
    cd "$work/$name"
    terraform init -input=false -no-color >/dev/null
    terraform plan -input=false -refresh=false -no-color -out=plan >/dev/null
    terraform show -json plan >plan.json
  )
  # One object per instance: address -> { values, unknown, sensitive }.
  jq --arg name "$name" --slurpfile plan "$work/$name/plan.json" '
    .[$name] = ($plan[0].resource_changes
      | map(select(.mode == "managed"))
      | map({ key: .address,
              value: { values: .change.after,
                       unknown: .change.after_unknown,
                       sensitive: .change.after_sensitive } })
      | from_entries)' "$out" >"$out.new"
  mv "$out.new" "$out"
done
version="$(terraform version -json | jq -r .terraform_version)"
jq -S --arg v "$version" '{ terraform_version: $v, modules: . }' "$out" >"$here/expected.json"
echo "wrote $here/expected.json (Terraform $version)"
