#!/usr/bin/env bash
# Fuzz corscope's parsers of untrusted input for a short while each: the HAR
# importer, the CORS header parsers (method and header lists, Origin,
# Content-Type) and the TUI's filter language.
#
#   scripts/fuzz.sh                 every target, FUZZTIME each (default 15s)
#   FUZZTIME=2m scripts/fuzz.sh     longer runs
#   scripts/fuzz.sh FuzzRead        only the targets named
#
# go test -fuzz takes one package and one target per run, hence the loop.
# The seed corpora live in each package's testdata/fuzz/<Target>/ (Go's
# layout) and run on every plain `go test` too. When fuzzing finds a
# failure, Go writes the input there: the script stops with the command that
# replays it. Commit that file with the fix, so the case stays tested.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime="${FUZZTIME:-15s}"

# package target — keep in step with the Fuzz functions in the tree.
targets=(
	"./capture/har FuzzRead"
	"./analyze FuzzParseAllowList"
	"./analyze FuzzParseRequestHeaderList"
	"./analyze FuzzParseOrigin"
	"./analyze FuzzContentTypeSafelist"
	"./ui FuzzParseFilter"
)

want=("$@")
selected() {
	[ ${#want[@]} -eq 0 ] && return 0
	local t
	for t in "${want[@]}"; do [ "$t" = "$1" ] && return 0; done
	return 1
}

ran=0
for entry in "${targets[@]}"; do
	read -r pkg target <<<"$entry"
	selected "$target" || continue
	# Each target must still exist: a renamed one would otherwise be
	# fuzzed as "no tests to fuzz" and pass.
	listed="$(go test -list "^${target}\$" "$pkg")"
	if ! grep -qx "$target" <<<"$listed"; then
		echo "fuzz.sh: $pkg has no $target; update the list in scripts/fuzz.sh" >&2
		exit 2
	fi
	echo "== fuzz $pkg $target ($fuzztime)"
	start=$SECONDS
	if ! go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime"; then
		echo "fuzz.sh: $target failed; the failing input is in $pkg/testdata/fuzz/$target/." >&2
		echo "replay it with: go test $pkg -run '^${target}\$'" >&2
		exit 1
	fi
	echo "   $target: $((SECONDS - start))s"
	ran=$((ran + 1))
done
if [ "$ran" -eq 0 ]; then
	echo "fuzz.sh: no target matched ${want[*]}" >&2
	exit 2
fi
