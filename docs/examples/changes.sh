#!/bin/sh
# The change feed from the shell, with no code of ours: protoc encodes a
# text-format gloss.v1.Request, nngcat (Debian's nng-utils) carries it,
# protoc decodes the gloss.v1.Reply.
#
#   docs/examples/changes.sh [URL [SINCE]]   (from the checkout's top folder;
#                                             URL default: ./var's socket)
set -eu
url=${1:-ipc://$PWD/var/glossd.sock}
since=${2:-0}
proto=${GLOSS_PROTO:-proto}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

printf 'list_changes { since_seq: %s limit: 100 }\n' "$since" |
	protoc --encode=gloss.v1.Request -I"$proto" gloss/v1/gloss.proto >"$tmp/q"
nngcat --req0 --dial "$url" --file "$tmp/q" --raw --recv-timeout 10 >"$tmp/r"
protoc --decode=gloss.v1.Reply -I"$proto" gloss/v1/gloss.proto <"$tmp/r"
