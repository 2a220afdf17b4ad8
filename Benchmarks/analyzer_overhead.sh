#!/usr/bin/env bash
# What the TLS analyzer costs: `plainsight read` with `--analyzers flows`
# against `--analyzers flows,tls` on the same workload (`all` also runs the
# cleartext and content analyzers, measured by Benchmarks/run.sh), timed in interleaved rounds (median wall and CPU time, ratios
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

variants=("flows" "flows,tls --ca-bundle none" "flows,tls")
raw="$work/overhead"
rm -rf "$raw" && mkdir -p "$raw"
cmd() { echo "$bin read $pcap --format json --output /dev/null --analyzers $1"; }
# The capture thread alone: the output thread drops its batches unjudged and
# unwritten (PLAINSIGHT_BENCH_DISCARD_OUTPUT, a benchmark-only switch).
alone() { echo "env PLAINSIGHT_BENCH_DISCARD_OUTPUT=1 $(cmd "$1")"; }

hyperfine -N --runs 1 --warmup 1 --style none "$(cmd flows)" "$(cmd flows,tls)" >/dev/null
for r in $(seq 1 "$runs"); do
    order=()
    for i in 0 1 2; do order+=("$(cmd "${variants[$(( (i + r) % 3 ))]}")"); done
    if (( r % 2 )); then order+=("$(alone flows)" "$(alone flows,tls)"); else order+=("$(alone flows,tls)" "$(alone flows)"); fi
    hyperfine -N --runs 1 --style none --export-json "$raw/round-$r.json" "${order[@]}" >/dev/null
done

if [ "$callgrind" = 1 ]; then
    # valgrind 3.19 cannot read this binary's DWARF: count on a copy without it.
    objcopy --strip-debug "$bin" "$work/plainsight-nodebug"
    cg_pcap="$(workload "$cg_size")"
    for v in "${variants[@]}"; do
        out="$raw/cg-$(echo "$v" | tr ' ' '_')"
        PLAINSIGHT_PATTERNS="$repo/Patterns" PLAINSIGHT_BENCH_DISCARD_OUTPUT=1 valgrind --tool=callgrind --separate-threads=yes \
            --cache-sim=yes --callgrind-out-file="$out" \
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
         "| analyzers | median wall time | throughput vs `flows` | same, round by round: median (quartiles) | median CPU time (all threads) | CPU vs `flows` |",
         "|---|---:|---:|---:|---:|---:|"]
def paired(v, against="flows"):
    # Each round runs every variant once, back to back: the ratio within a
    # round is less exposed to the host's drift than a ratio of medians.
    ratios = [a / b for a, b in zip(times[against], times[v])]
    q = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else [ratios[0]] * 3
    return f"{100 * statistics.median(ratios):.1f} % ({100 * q[0]:.1f}–{100 * q[2]:.1f} %)"
for v in ["flows", "flows,tls --ca-bundle none", "flows,tls"]:
    lines.append(f"| `{v}` | {med[v]:.3f} s | {100 * base / med[v]:.1f} % | {paired(v)} | {cpu_med[v]:.3f} s | {100 * cpu_med[v] / cpu_med['flows']:.0f} % |")
a, b = "flows (capture thread alone)", "flows,tls (capture thread alone)"
lines += ["", "The capture thread alone (`PLAINSIGHT_BENCH_DISCARD_OUTPUT=1`: the output thread drops every batch):", "",
          "| analyzers | median wall time | throughput vs `flows` alone | same, round by round |", "|---|---:|---:|---:|"]
for v in [a, b]:
    lines.append(f"| `{v.split(' (')[0]}` | {med[v]:.3f} s | {100 * med[a] / med[v]:.1f} % | {paired(v, a)} |")
if callgrind == "1":
    def counts(prefix):
        # callgrind --separate-threads: one file per thread, `-01` the capture
        # (main) thread; instructions and level-1 instruction-cache misses.
        events, summary = [], []
        for line in open(prefix + "-01", errors="replace"):
            if line.startswith("events:"):
                events = line.split()[1:]
            elif line.startswith("summary:"):
                summary = [int(x) for x in line.split()[1:]]
        return summary[events.index("Ir")], summary[events.index("I1mr")]
    cg = {v: counts(os.path.join(raw, "cg-" + v.replace(" ", "_"))) for v in ["flows", "flows,tls --ca-bundle none", "flows,tls"]}
    lines += ["", f"Capture thread (output discarded), valgrind callgrind with its cache simulation, `bench-{cg_size.lower()}.pcap`:", "",
              "| analyzers | instructions | vs `flows` | L1 instruction-cache misses | vs `flows` |", "|---|---:|---:|---:|---:|"]
    for v, (ir, i1) in cg.items():
        lines.append(f"| `{v}` | {ir:,} | {100 * ir / cg['flows'][0]:.1f} % | {i1:,} | {i1 / cg['flows'][1]:.2f}× |")
text = "\n".join(lines) + "\n"
print(text)
if results != "-":
    open(results, "a").write(text)
PY
