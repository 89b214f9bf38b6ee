#!/bin/sh
# The contract is plain protobuf over plain nng: talk to a real glossd with
# no code of ours on the client side.  protoc --encode turns a text-format
# gloss.v1.Request into bytes, nngcat (Debian's nng-utils) carries it over a
# REQ socket, and protoc --decode reads the gloss.v1.Reply.
set -eu
: "${GLOSSD:?}" "${GLOSS_PROTO:?}"
command -v nngcat >/dev/null || { echo "nngcat missing (apt install nng-utils)"; exit 1; }
command -v protoc >/dev/null || { echo "protoc missing (apt install protobuf-compiler)"; exit 1; }

tmp=$(mktemp -d /tmp/gloss-contract-XXXXXX)
url="ipc://$tmp/data/glossd.sock"
"$GLOSSD" --data "$tmp/data" 2>"$tmp/glossd.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
i=0
until [ -S "$tmp/data/glossd.sock" ]; do
	i=$((i + 1)); [ $i -lt 250 ] || { cat "$tmp/glossd.log"; exit 1; }
	sleep 0.02
done

passed=0 failed=0
# call TEXT-REQUEST: prints the decoded reply
call() {
	printf '%s\n' "$1" |
	    protoc --encode=gloss.v1.Request -I"$GLOSS_PROTO" gloss/v1/gloss.proto >"$tmp/req.bin"
	nngcat --req0 --dial "$url" --file "$tmp/req.bin" --raw --recv-timeout 5 >"$tmp/rep.bin"
	protoc --decode=gloss.v1.Reply -I"$GLOSS_PROTO" gloss/v1/gloss.proto <"$tmp/rep.bin"
}
expect() { # NAME PATTERN OUTPUT
	if printf '%s\n' "$3" | grep -q -- "$2"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1)); echo "FAIL: $1: no '$2' in:"; printf '%s\n' "$3"
	fi
}
expect_not() { # NAME PATTERN OUTPUT
	if printf '%s\n' "$3" | grep -q -- "$2"; then
		failed=$((failed + 1)); echo "FAIL: $1: '$2' in:"; printf '%s\n' "$3"
	else
		passed=$((passed + 1))
	fi
}

out=$(call 'request_id: "c-1" author: "shell"
create_article { article { id: "shell" language: "pt" text: "Olá, ação — نص" } }')
expect "create" 'char_count: 14' "$out"
expect "create's group" 'group: "shell"' "$out"
out=$(call 'get_article { id: "shell" }')
expect "get" 'text: "Ol\\303\\241' "$out"
expect "get's sha256" 'sha256: "' "$out"
out=$(call 'get_article { id: "ghost" }')
expect "unknown id" 'code: NOT_FOUND' "$out"
out=$(call 'get_server_info { }')
expect "server info" 'protocol: "gloss.v1"' "$out"
expect "server info's last_seq" 'last_seq: 1' "$out"
out=$(call 'list_articles { page_size: 10 }')
expect "list" 'id: "shell"' "$out"
out=$(call 'request_id: "c-1" author: "shell"
create_article { article { id: "shell" language: "pt" text: "Olá, ação — نص" } }')
expect "a resent write is not applied twice" 'revision: 1' "$out"
expect_not "a resent write gets the first reply" 'ALREADY_EXISTS' "$out"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
