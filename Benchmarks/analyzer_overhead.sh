#!/usr/bin/env bash
# What the analyzers beyond `flows` cost: `plainsight read` with
# `--analyzers flows` against `--analyzers all` (TLS included) on the same
# workload, timed in interleaved rounds (median wall and CPU time, ratios
# measured in the same run), plus instruction counts with valgrind
# (repeatable whatever the host load) for the capture thread — the one that
# bounds throughput — and for all threads (the output thread judges
# handshakes and writes records; see Sources/Pipeline/OutputStage.swift).
# Appends a dated section to Benchmarks/RESULTS.md.
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
# The capture thread alone: the output thread drops its batches unjudged and
# unwritten (PLAINSIGHT_BENCH_DISCARD_OUTPUT, a benchmark-only switch).
alone() { echo "env PLAINSIGHT_BENCH_DISCARD_OUTPUT=1 $(cmd "$1")"; }

hyperfine -N --runs 1 --warmup 1 --style none "$(cmd flows)" "$(cmd all)" >/dev/null
for r in $(seq 1 "$runs"); do
    order=()
    for i in 0 1 2; do order+=("$(cmd "${variants[$(( (i + r) % 3 ))]}")"); done
    if (( r % 2 )); then order+=("$(alone flows)" "$(alone all)"); else order+=("$(alone all)" "$(alone flows)"); fi
    hyperfine -N --runs 1 --style none --export-json "$raw/round-$r.json" "${order[@]}" >/dev/null
done

if [ "$callgrind" = 1 ]; then
    # valgrind 3.19 cannot read this binary's DWARF: count on a copy without it.
    objcopy --strip-debug "$bin" "$work/plainsight-nodebug"
    cg_pcap="$(workload "$cg_size")"
    for v in "${variants[@]}"; do
        out="$raw/cg-$(echo "$v" | tr ' ' '_')"
        PLAINSIGHT_PATTERNS="$repo/Patterns" valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$out" \
            "$work/plainsight-nodebug" read "$cg_pcap" --format json --output /dev/null --analyzers $v >/dev/null 2>&1
    done
fi

python3 - "$raw" "$pcap" "$commit" "$size" "$cg_size" "$callgrind" "$results" <<'PY'
import json, os, statistics, sys, datetime, glob
raw, pcap, commit, size, cg_size, callgrind, results = sys.argv[1:]
times, cpu = {}, {}
for f in sorted(glob.glob(os.path.join(raw, "round-*.json"))):
    for res in json.load(open(f))["results"]:
        variant = res["command"].split("--analyzers ", 1)[1]
        if res["command"].startswith("env PLAINSIGHT_BENCH_DISCARD_OUTPUT=1"):
            variant += " (capture thread alone)"
        times.setdefault(variant, []).append(res["times"][0])
        cpu.setdefault(variant, []).append(res["user"] + res["system"])
med = {v: statistics.median(t) for v, t in times.items()}
cpu_med = {v: statistics.median(t) for v, t in cpu.items()}
base = med["flows"]
lines = [f"\n## Analyzer overhead — {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC, commit {commit}\n",
         f"Workload `{os.path.basename(pcap)}` ({os.path.getsize(pcap):,} bytes), {len(times['flows'])} interleaved rounds, "
         "command `plainsight read FILE --format json --output /dev/null --analyzers …`.\n",
         "| analyzers | median wall time | throughput vs `flows` | median CPU time (all threads) | CPU vs `flows` |",
         "|---|---:|---:|---:|---:|"]
for v in ["flows", "all --ca-bundle none", "all"]:
    lines.append(f"| `{v}` | {med[v]:.3f} s | {100 * base / med[v]:.1f} % | {cpu_med[v]:.3f} s | {100 * cpu_med[v] / cpu_med['flows']:.0f} % |")
a, b = "flows (capture thread alone)", "all (capture thread alone)"
lines += ["", "The capture thread alone (`PLAINSIGHT_BENCH_DISCARD_OUTPUT=1`: the output thread drops every batch):", "",
          "| analyzers | median wall time | throughput vs `flows` alone |", "|---|---:|---:|"]
for v in [a, b]:
    lines.append(f"| `{v.split(' (')[0]}` | {med[v]:.3f} s | {100 * med[a] / med[v]:.1f} % |")
if callgrind == "1":
    def counts(prefix):
        # callgrind --separate-threads: one file per thread, `-01` the capture (main) thread.
        per = {}
        for f in glob.glob(prefix + "-*"):
            for line in open(f, errors="replace"):
                if line.startswith("summary:"):
                    per[f.rsplit("-", 1)[1]] = int(line.split()[1])
                    break
        return per.get("01", 0), sum(per.values())
    cg = {v: counts(os.path.join(raw, "cg-" + v.replace(" ", "_"))) for v in ["flows", "all --ca-bundle none", "all"]}
    lines += ["", f"Instructions (valgrind callgrind, `bench-{cg_size.lower()}.pcap`):", "",
              "| analyzers | capture thread | vs `flows` | all threads | vs `flows` |", "|---|---:|---:|---:|---:|"]
    for v, (main, total) in cg.items():
        lines.append(f"| `{v}` | {main:,} | {100 * main / cg['flows'][0]:.0f} % | {total:,} | {100 * total / cg['flows'][1]:.0f} % |")
text = "\n".join(lines) + "\n"
print(text)
if results != "-":
    open(results, "a").write(text)
PY
