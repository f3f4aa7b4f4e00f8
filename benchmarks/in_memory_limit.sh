#!/bin/bash
# Run a command inside a memory cgroup (v1) limited to LIMIT_MIB (default 8192), sampling the
# cgroup's memory every 2 s: how "1M articles within 8 GiB" was checked. The limit counts the
# page cache of files the job maps (--spill-dir) as well as its own memory; the kernel reclaims
# that cache under the limit, and kills the job if its own memory does not fit.
#
#   sudo LIMIT_MIB=8192 bash benchmarks/in_memory_limit.sh python -m benchmarks.stages corpus-1m.jsonl \
#        --spill-dir /var/tmp/spill --out stages.json
#
# Samples go to ${SAMPLES:-memory-samples.log}: usage (all charged), rss (anonymous), cache (MiB).
set -u
LIMIT_MIB=${LIMIT_MIB:-8192}
SAMPLES=${SAMPLES:-memory-samples.log}
CG=/sys/fs/cgroup/memory/dedup-limit-$$
mkdir "$CG" || { echo "cannot make a memory cgroup at $CG (cgroup v1 and root needed)" >&2; exit 2; }
echo $((LIMIT_MIB * 1024 * 1024)) > "$CG/memory.limit_in_bytes"
( while true; do
    echo "$(date +%s) usage=$(( $(cat "$CG/memory.usage_in_bytes") >> 20 ))" \
         "rss=$(( $(grep '^total_rss ' "$CG/memory.stat" | cut -d' ' -f2) >> 20 ))" \
         "cache=$(( $(grep '^total_cache ' "$CG/memory.stat" | cut -d' ' -f2) >> 20 ))"
    sleep 2
  done ) > "$SAMPLES" &
SAMPLER=$!
bash -c 'echo $$ > "$0/cgroup.procs"; exec "$@"' "$CG" "$@"
rc=$?
kill $SAMPLER
echo "exit $rc; limit ${LIMIT_MIB} MiB; most charged $(( $(cat "$CG/memory.max_usage_in_bytes") >> 20 )) MiB;" \
     "most anonymous sampled $(awk '{split($3, a, "="); if (a[2] > m) m = a[2]} END {print m}' "$SAMPLES") MiB" >&2
rmdir "$CG" 2>/dev/null
exit $rc
