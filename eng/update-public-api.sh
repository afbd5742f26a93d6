#!/usr/bin/env bash
# Adds every public symbol the PublicApiAnalyzers report as undeclared (RS0016) to the project's
# PublicAPI.Unshipped.txt. Review the diff: public API is a promise.
set -euo pipefail
project=${1:?usage: eng/update-public-api.sh src/Project}
unshipped="$project/PublicAPI.Unshipped.txt"
dotnet build "$project" -p:TreatWarningsAsErrors=false 2>&1 \
  | grep -o "RS0016: Symbol '[^']*'" | sed "s/RS0016: Symbol '//; s/'\$//" \
  | sed 's/&lt;/</g; s/&gt;/>/g' >> "$unshipped" || true
{ head -n1 "$unshipped"; tail -n +2 "$unshipped" | sort -u; } > "$unshipped.tmp" && mv "$unshipped.tmp" "$unshipped"
