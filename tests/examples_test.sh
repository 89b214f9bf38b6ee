#!/bin/sh
# Runs the examples of docs/protocol.md against a real glossd listening on
# ipc:// and tcp://: the shell example (protoc + nngcat), the Python one
# (raw SP over TCP + python3-protobuf) and the C one (tools/follow.c).
set -eu
: "${GLOSSD:?}" "${GLOSS:?}" "${GLOSS_PROTO:?}" "${GLOSS_FOLLOW:?}"
top=$(dirname "$GLOSS_PROTO")
tmp=$(mktemp -d /tmp/gloss-examples-XXXXXX)
port=$((20000 + $$ % 20000))
ipc="ipc://$tmp/data/glossd.sock"
"$GLOSSD" --data "$tmp/data" --listen "$ipc" --listen "tcp://127.0.0.1:$port" \
	2>"$tmp/glossd.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
i=0
until [ -S "$tmp/data/glossd.sock" ]; do
	i=$((i + 1)); [ $i -lt 250 ] || { cat "$tmp/glossd.log"; exit 1; }
	sleep 0.02
done
export GLOSS_SOCKET="$ipc"
failed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

printf 'Olá, ação — نص 👍🏽.\n' >"$tmp/a.txt"
"$GLOSS" import --lang pt --id a "$tmp/a.txt" >/dev/null

# The shell example.
out=$(GLOSS_PROTO="$GLOSS_PROTO" sh "$top/docs/examples/changes.sh" "$ipc" 0)
echo "$out" | grep -q 'article_id: "a"' || fail "changes.sh: $out"

# The Python example, following the feed while a write happens.
if /usr/bin/python3 -c 'import google.protobuf' 2>/dev/null; then
	protoc --python_out="$tmp" -I"$GLOSS_PROTO" gloss/v1/gloss.proto
	PYTHONPATH="$tmp" timeout 30 /usr/bin/python3 \
		"$top/docs/examples/feed.py" "tcp://127.0.0.1:$port" 0 2 \
		>"$tmp/py.out" 2>"$tmp/py.err" &
	py=$!
	sleep 0.5
	"$GLOSS" import --lang en --id b "$tmp/a.txt" >/dev/null
	wait $py || fail "feed.py: $(cat "$tmp/py.err")"
	grep -q '^2 .* SUBJECT_ARTICLE OPERATION_CREATED b 0 1$' "$tmp/py.out" ||
		fail "feed.py printed: $(cat "$tmp/py.out")"
else
	fail "python3-protobuf is missing (tools/install-deps installs it)"
fi

# The C example.
timeout 2 "$GLOSS_FOLLOW" "$ipc" 1 >"$tmp/c.out" || true
grep -q '^2 .* b 0 rev 1$' "$tmp/c.out" || fail "gloss-follow: $(cat "$tmp/c.out")"

[ $failed -eq 0 ] && echo "examples: all passed"
exit $failed
