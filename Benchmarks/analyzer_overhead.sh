#!/usr/bin/env bash
# What the analyzers beyond `flows` cost: `plainsight read` with
# `--analyzers flows` against `--analyzers all` (TLS included) on the same
# workload, timed in interleaved rounds (median wall time, ratio measured in
# the same run), plus instruction counts with valgrind (repeatable whatever
# the host load). Appends a dated section to Benchmarks/RESULTS.md.
#
#   bash Benchmarks/analyzer_overhead.sh                # 1 GiB workload, 7 rounds
#   bash Benchmarks/analyzer_overhead.sh --size 128M    # smaller workload
#   bash Benchmarks/analyzer_overhead.sh --no-callgrind # timing only
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
size=1G
runs=7
callgrind=1
cg_size=128M
gen="${BENCH_GEN:-/work/shared/bench/gen_traffic.py}"
data_dir="${BENCH_DIR:-/tmp}"
work="${BENCH_WORK:-/tmp/plainsight-bench}"
results="$here/RESULTS.md"

while [ $# -gt 0 ]; do
    case "$1" in
        --size) size="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        --no-callgrind) callgrind=0; shift ;;
        --results) results="$2"; shift 2 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

for tool in hyperfine valgrind python3; do
    command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install -y hyperfine valgrind)" >&2; exit 2; }
done
mkdir -p "$work"
workload() {
    local pcap="$data_dir/bench-$(echo "$1" | tr 'A-Z' 'a-z').pcap"
    [ -f "$pcap" ] || python3 "$gen" --size "$1" --seed 1 --out "$pcap" -q
    echo "$pcap"
}
pcap="$(workload "$size")"

swift build -c release --package-path "$repo" --product plainsight >"$work/overhead-build.log" 2>&1
bin="$repo/.build/release/plainsight"
commit="$(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet || echo '+dirty')"

variants=("flows" "all --ca-bundle none" "all")
raw="$work/overhead"
rm -rf "$raw" && mkdir -p "$raw"
cmd() { echo "$bin read $pcap --format json --output /dev/null --analyzers $1"; }

hyperfine -N --runs 1 --warmup 1 --style none "$(cmd flows)" "$(cmd all)" >/dev/null
for r in $(seq 1 "$runs"); do
    order=()
    for i in 0 1 2; do order+=("$(cmd "${variants[$(( (i + r) % 3 ))]}")"); done
    hyperfine -N --runs 1 --style none --export-json "$raw/round-$r.json" "${order[@]}" >/dev/null
done

if [ "$callgrind" = 1 ]; then
    # valgrind 3.19 cannot read this binary's DWARF: count on a copy without it.
    objcopy --strip-debug "$bin" "$work/plainsight-nodebug"
    cg_pcap="$(workload "$cg_size")"
    for v in "${variants[@]}"; do
        PLAINSIGHT_PATTERNS="$repo/Patterns" valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
            "$work/plainsight-nodebug" read "$cg_pcap" --format json --output /dev/null --analyzers $v 2>&1 \
            | sed -n 's/.*I *refs: *//p' | tr -d , >"$raw/cg-$(echo "$v" | tr ' ' '_')"
    done
fi

python3 - "$raw" "$pcap" "$commit" "$size" "$cg_size" "$callgrind" "$results" <<'PY'
import json, os, statistics, sys, datetime, glob
raw, pcap, commit, size, cg_size, callgrind, results = sys.argv[1:]
times = {}
for f in sorted(glob.glob(os.path.join(raw, "round-*.json"))):
    for res in json.load(open(f))["results"]:
        variant = res["command"].split("--analyzers ", 1)[1]
        times.setdefault(variant, []).append(res["times"][0])
med = {v: statistics.median(t) for v, t in times.items()}
base = med["flows"]
lines = [f"\n## Analyzer overhead — {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC, commit {commit}\n",
         f"Workload `{os.path.basename(pcap)}` ({os.path.getsize(pcap):,} bytes), {len(times['flows'])} interleaved rounds, "
         "command `plainsight read FILE --format json --output /dev/null --analyzers …`.\n",
         "| analyzers | median wall time | throughput vs `flows` |", "|---|---:|---:|"]
for v in ["flows", "all --ca-bundle none", "all"]:
    lines.append(f"| `{v}` | {med[v]:.3f} s | {100 * base / med[v]:.1f} % |")
if callgrind == "1":
    lines += ["", f"Instructions (valgrind cachegrind, `bench-{cg_size.lower()}.pcap`):", "",
              "| analyzers | instructions | vs `flows` |", "|---|---:|---:|"]
    cg = {v: int(open(os.path.join(raw, "cg-" + v.replace(" ", "_"))).read().strip() or 0)
          for v in ["flows", "all --ca-bundle none", "all"]}
    for v, n in cg.items():
        lines.append(f"| `{v}` | {n:,} | {100 * n / cg['flows']:.0f} % |")
text = "\n".join(lines) + "\n"
print(text)
if results != "-":
    open(results, "a").write(text)
PY
