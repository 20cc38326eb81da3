#!/usr/bin/env bash
# Runs every test of the solution (unit, end-to-end, and the VM lab smoke where it can run).
set -uo pipefail
cd "$(dirname "$0")"
dotnet test Sync.sln -c Release "$@"
