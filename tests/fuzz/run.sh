#!/bin/sh
# Runs fuzz_serve on the committed corpus for $GLOSS_FUZZ_SECONDS seconds
# (default: the fourth argument).  New inputs go to WORK/new, failures to
# WORK/artifacts; copy a failure into corpus/ once it is fixed.
#   run.sh FUZZ_SERVE FUZZ_DIR WORK SECONDS
set -eu
bin=$1 dir=$2 work=$3 secs=${GLOSS_FUZZ_SECONDS:-$4}
mkdir -p "$work/new" "$work/artifacts"
exec "$bin" -max_total_time="$secs" -timeout=30 -rss_limit_mb=4096 \
	-max_len=65536 -dict="$dir/serve.dict" -print_final_stats=1 \
	-artifact_prefix="$work/artifacts/" "$work/new" "$dir/corpus"
