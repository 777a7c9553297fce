#!/usr/bin/env bash
# End-to-end test of corscope's terminal interface: build the real binary,
# run `corscope open` on a saved capture inside tmux, open the blocked
# flow, check its Summary, Response (ghost line) and Fix tabs, resize, quit.
# It asserts on what tmux shows on screen (capture-pane), never on bytes.
#
# Usage: scripts/tui-e2e.sh            (from anywhere in the repository)
# Env:   BIN=path        use this binary instead of building one
#        E2E_ARTIFACTS=d keep the last screens (with colours) in d
# Needs: go (unless BIN is set), tmux.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d)
session="corscope-e2e-$$"
# A private tmux server: nothing shared with the user's sessions.
tmux() { command tmux -L "$session" "$@"; }
artifacts=${E2E_ARTIFACTS:-$work/artifacts}
mkdir -p "$artifacts"

cleanup() {
	tmux kill-server 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

if [[ -z "${BIN:-}" ]]; then
	BIN="$work/corscope"
	(cd "$root" && go build -o "$BIN" .)
fi
har="$root/ui/testdata/e2e/blocked.har"

screen() { tmux capture-pane -t "$session" -p; }

# wait_for TEXT [SECONDS]: poll the visible screen until TEXT appears.
wait_for() {
	local deadline=$((SECONDS + ${2:-10}))
	until screen | grep -qF -- "$1"; do
		if ((SECONDS >= deadline)); then
			echo "tui e2e FAILED: timed out waiting for: $1" >&2
			echo "----- screen -----" >&2
			screen >&2
			tmux capture-pane -t "$session" -p -e >"$artifacts/failed-screen.ans" || true
			exit 1
		fi
		sleep 0.1
	done
}

# absent TEXT: the visible screen must not show TEXT.
absent() {
	if screen | grep -qF -- "$1"; then
		echo "tui e2e FAILED: unexpected on screen: $1" >&2
		screen >&2
		exit 1
	fi
}

keys() { tmux send-keys -t "$session" "$@"; }

# A fixed-size session with a private --home, so ui.json lands in $work.
tmux new-session -d -s "$session" -x 120 -y 40 -e TERM=xterm-256color
tmux set-option -t "$session" remain-on-exit on
# The exit status is written to a file: tmux's pane_dead_status can stay
# empty for a while after the process has exited.
tmux respawn-pane -k -t "$session" \
	"env CORSCOPE_HOME='$work/home' GOTRACEBACK=all '$BIN' open '$har' 2>'$artifacts/stderr.log'; echo \$? >'$work/exit'"

# The capture opens on its first blocked flow: the failed preflight.
wait_for "blocked.har (saved capture, no proxy)"
wait_for "11 flows · 2 blocked"
wait_for "BLOCKED"
wait_for "never sent"

# Narrow the list to what is blocked, then open the flow.
keys /
wait_for "/ "
keys -l "cors:blocked"
keys Enter
wait_for "filter: cors:blocked (3 shown)"
keys g Enter
wait_for "▶"  # the detail pane has focus
wait_for "BLOCKED · PreflightMissingAllowOriginHeader"
wait_for "Response to preflight request"
wait_for "Access-Control-Allow-Origin: — missing"
tmux capture-pane -t "$session" -p -e >"$artifacts/summary.ans"

# Response: the 403 with the missing header as a ghost line.
keys 3
wait_for "[3 Response]"
wait_for "403 Forbidden"
wait_for "✗ Access-Control-Allow-Origin: — missing"
wait_for "want: http://localhost:3000"

# Fix: a snippet for the real page origin, a framework picker that moves.
keys 4
wait_for "[4 Fix]"
wait_for "Framework"
wait_for "[express]"
wait_for "http://localhost:3000"
wait_for "y copies the snippet"
absent "'*'"
keys Right
wait_for "[fastapi]"
tmux capture-pane -t "$session" -p -e >"$artifacts/fix.ans"

# y copies (OSC 52) and says so.
keys y
wait_for "✓ copied the"

# m marks the selected flow; the header counts it.
keys m
wait_for "● 1 marked"

# The choice is remembered in --home. The interface saves ui.json in the
# background after the key press, so the file may trail the screen.
deadline=$((SECONDS + 10))
until grep -q '"framework": "fastapi"' "$work/home/ui.json" 2>/dev/null; do
	if ((SECONDS >= deadline)); then
		echo "tui e2e FAILED: ui.json does not remember fastapi" >&2
		cat "$work/home/ui.json" >&2 || true
		exit 1
	fi
	sleep 0.1
done

# Resize: SIGWINCH → a new layout (detail below the list), still whole.
tmux resize-window -t "$session" -x 80 -y 24
wait_for "[4 Fix]"
sleep 0.3
lines=$(screen | wc -l)
if ((lines != 24)); then
	echo "tui e2e FAILED: $lines lines after resizing to 80x24" >&2
	screen >&2
	exit 1
fi
absent "│─" # no right-hand pane separator in the narrow layout

# Quit: a saved capture has nothing to lose but the mark set above, so q
# asks once about it; y quits with exit status 0.
keys q
wait_for "Quit? The marks you set are not saved"
keys y
deadline=$((SECONDS + 10))
until [[ -s "$work/exit" ]]; do
	if ((SECONDS >= deadline)); then
		echo "tui e2e FAILED: corscope did not exit after q" >&2
		screen >&2
		# Ask the Go runtime where it is stuck.
		pid=$(pgrep -P "$(tmux display-message -t "$session" -p '#{pane_pid}')" -x corscope || true)
		[[ -n "$pid" ]] && kill -QUIT "$pid" 2>/dev/null && sleep 1
		cat "$artifacts/stderr.log" >&2 || true
		exit 1
	fi
	sleep 0.1
done
status=$(<"$work/exit")
if [[ "$status" != 0 ]]; then
	echo "tui e2e FAILED: exit status $status" >&2
	cat "$artifacts/stderr.log" >&2 || true
	exit 1
fi
echo "tui e2e OK (screens in $artifacts)"
