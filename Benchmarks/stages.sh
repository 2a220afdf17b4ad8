#!/usr/bin/env bash
# Where the time goes: the libpcap floor and `plainsight read` with the
# pipeline's stages switched on one after another (`--analyzers flows`,
# `flows,tls`, `flows,tls,cleartext`, `flows,tls,cleartext,content`, and the
# last with the capture thread alone), timed in interleaved rounds on the same
# workload. Each stage's cost is read against the floor round by round (the
# ratio within a round is less exposed to this host's drift than a ratio of
# medians). Appends a dated section to Benchmarks/RESULTS.md.
#
#   bash Benchmarks/stages.sh                  # 1 GiB workload, 7 rounds (about 2 minutes)
#   bash Benchmarks/stages.sh --size 128M      # smaller workload
#   bash Benchmarks/stages.sh --runs 11 --results -
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
size=1G
runs=7
gen="${BENCH_GEN:-/work/shared/bench/gen_traffic.py}"
data_dir="${BENCH_DIR:-/tmp}"
work="${BENCH_WORK:-/tmp/plainsight-bench}"
results="$here/RESULTS.md"

while [ $# -gt 0 ]; do
    case "$1" in
        --size) size="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        --results) results="$2"; shift 2 ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

for tool in hyperfine python3 cc; do
    command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install -y hyperfine python3 gcc)" >&2; exit 2; }
done
mkdir -p "$work"
pcap="$data_dir/bench-$(echo "$size" | tr 'A-Z' 'a-z').pcap"
[ -f "$pcap" ] || python3 "$gen" --size "$size" --seed 1 --out "$pcap" -q

swift build -c release --package-path "$repo" --product plainsight >"$work/stages-build.log" 2>&1
# A copy, so that a rebuild during the run cannot change the binary under test.
bin="$work/plainsight-stages"
cp "$repo/.build/release/plainsight" "$bin"
floor="$work/floor"
cc -O2 -o "$floor" "$here/floor.c" -lpcap
commit="$(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet -- Sources Patterns || echo '+dirty')"
export PLAINSIGHT_PATTERNS="$repo/Patterns"

stages=("flows" "flows,tls" "flows,tls,cleartext" "flows,tls,cleartext,content")
cmd() { echo "$bin read $pcap --format json --output /dev/null --analyzers $1"; }
commands=("$floor $pcap")
for s in "${stages[@]}"; do commands+=("$(cmd "$s")"); done
# The capture thread alone: the output thread drops its batches unjudged and
# unwritten (PLAINSIGHT_BENCH_DISCARD_OUTPUT, a benchmark-only switch).
commands+=("env PLAINSIGHT_BENCH_DISCARD_OUTPUT=1 $(cmd "${stages[3]}")")

raw="$work/stages"
rm -rf "$raw" && mkdir -p "$raw"
cat "$pcap" >/dev/null
hyperfine -N --runs 1 --warmup 1 --style none "${commands[0]}" "${commands[4]}" >/dev/null
n=${#commands[@]}
for r in $(seq 1 "$runs"); do
    # Each round starts with another command, so no stage always follows the same one.
    order=()
    for i in $(seq 0 $((n - 1))); do order+=("${commands[$(( (i + r) % n ))]}"); done
    hyperfine -N --runs 1 --style none --export-json "$raw/round-$r.json" "${order[@]}" >/dev/null
done

python3 - "$raw" "$pcap" "$commit" "$results" "${commands[@]}" <<'PY'
import json, os, statistics, sys, datetime, glob
raw, pcap, commit, results, *commands = sys.argv[1:]
names = ["floor (libpcap read loop)"] + [f"`{c.split('--analyzers ', 1)[1]}`" for c in commands[1:-1]]
names.append(names[-1] + ", capture thread alone")
rounds = []
for f in sorted(glob.glob(os.path.join(raw, "round-*.json"))):
    by = {res["command"]: res["times"][0] for res in json.load(open(f))["results"]}
    rounds.append([by[c] for c in commands])
lines = [f"\n## Stages against the floor — {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC, commit {commit}\n",
         f"`Benchmarks/stages.sh`: workload `{os.path.basename(pcap)}` ({os.path.getsize(pcap):,} bytes), "
         f"{len(rounds)} interleaved rounds, `plainsight read FILE --format json --output /dev/null --analyzers …`; "
         "× floor and share of the floor are medians of the ratios within each round.\n",
         "| configuration | median wall | × floor | share of the floor |", "|---|---:|---:|---:|"]
for k, name in enumerate(names):
    wall = statistics.median(r[k] for r in rounds)
    times = statistics.median(r[k] / r[0] for r in rounds)
    share = statistics.median(r[0] / r[k] for r in rounds)
    lines.append(f"| {name} | {wall:.3f} s | {times:.2f} | {100 * share:.1f} % |")
text = "\n".join(lines) + "\n"
print(text)
if results != "-":
    open(results, "a").write(text)
PY
