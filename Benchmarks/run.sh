#!/usr/bin/env bash
# PlainSight performance benchmark: throughput against the libpcap floor, peak
# RSS, CPU time, heap allocations per packet, and (opt-in) instruction counts.
# Appends a dated section to Benchmarks/RESULTS.md. See Benchmarks/README.md.
#
#   bash Benchmarks/run.sh                 # 1 GiB workload (several minutes)
#   bash Benchmarks/run.sh --quick         # 128 MiB workload
#   bash Benchmarks/run.sh --callgrind     # + instruction counts on 128 MiB (slow)
#   bash Benchmarks/run.sh --profile       # + callgrind profile (top functions) on 20 MiB
#   bash Benchmarks/run.sh --help
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"

size="${BENCH_SIZE:-1G}"
seed="${BENCH_SEED:-1}"
runs="${BENCH_RUNS:-5}"
rss_runs="${BENCH_RSS_RUNS:-3}"
flow_n="${BENCH_FLOW_N:-10000}"
analyzers="${BENCH_ANALYZERS:-flows}"
data_dir="${BENCH_DIR:-/tmp}"
work="${BENCH_WORK:-/tmp/plainsight-bench}"
gen="${BENCH_GEN:-/work/shared/bench/gen_traffic.py}"
results="${BENCH_RESULTS:-$here/RESULTS.md}"
file=""
do_install=1
do_build=1
do_callgrind="${BENCH_CALLGRIND:-0}"
do_profile="${BENCH_PROFILE:-0}"
build_retries="${BENCH_BUILD_RETRIES:-3}"
# Reference sha256 of `gen_traffic.py --size 1G --seed 1` (shared/bench/README.md).
ref_1g_sha="d178c6c0a5340140331775b20eafbfed59735813cfef1b0b4cfc47dfd10a32da"

usage() {
    cat <<EOF
usage: bash Benchmarks/run.sh [options]

  --size SIZE        workload size for gen_traffic.py (default 1G; env BENCH_SIZE)
  --quick            same as --size 128M
  --file PCAP        time an existing capture instead (its .truth.json is used if present)
  --runs N           timed runs per tool, interleaved round-robin (default 5; env BENCH_RUNS)
  --rss-runs N       /usr/bin/time runs per tool for peak RSS and CPU (default 3; env BENCH_RSS_RUNS)
  --analyzers LIST   --analyzers value for plainsight (default flows; env BENCH_ANALYZERS)
  --flow-packets N   allocation check: one flow of N and 10N data segments (default 10000)
  --callgrind        also count instructions (valgrind cachegrind) on the 128M workload, ~50x slower
  --profile          also profile plainsight with callgrind on a 20M workload (top functions)
  --no-build         use the existing .build/release/plainsight
  --no-install       never apt-get install missing tools
  --results FILE     append the results here (default Benchmarks/RESULTS.md; '-' = stdout only)
Env: BENCH_DIR (workloads, default /tmp), BENCH_WORK (scratch, default /tmp/plainsight-bench),
     BENCH_GEN (gen_traffic.py path), BENCH_SEED (default 1), BENCH_BUILD_RETRIES (default 3).
EOF
}

while [ $# -gt 0 ]; do
    case "$1" in
        --size) size="$2"; shift 2 ;;
        --quick) size="128M"; shift ;;
        --file) file="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        --rss-runs) rss_runs="$2"; shift 2 ;;
        --analyzers) analyzers="$2"; shift 2 ;;
        --flow-packets) flow_n="$2"; shift 2 ;;
        --callgrind) do_callgrind=1; shift ;;
        --profile) do_profile=1; shift ;;
        --no-build) do_build=0; shift ;;
        --no-install) do_install=0; shift ;;
        --results) results="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
done

log() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }

mkdir -p "$work"
raw="$work/raw"        # raw measurements, read by the report at the end
rm -rf "$raw"; mkdir -p "$raw"

# ---------------------------------------------------------------- (a) tools
log "tools"
need_pkgs=()
command -v cc >/dev/null || need_pkgs+=(gcc libc6-dev)
[ -e /usr/include/pcap/pcap.h ] || need_pkgs+=(libpcap-dev)
[ -e /usr/include/zlib.h ] || need_pkgs+=(zlib1g-dev)
command -v hyperfine >/dev/null || need_pkgs+=(hyperfine)
command -v valgrind >/dev/null || need_pkgs+=(valgrind)
command -v python3 >/dev/null || need_pkgs+=(python3)
[ -x /usr/bin/time ] || need_pkgs+=(time)
if [ ${#need_pkgs[@]} -gt 0 ]; then
    [ "$do_install" = 1 ] || die "missing: ${need_pkgs[*]} (run without --no-install, or install them)"
    echo "installing: ${need_pkgs[*]}" >&2
    sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need_pkgs[@]}" >&2
fi
if ! command -v swift >/dev/null && [ -x /opt/swift/usr/bin/swift ]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi
command -v swift >/dev/null || die "swift not found on PATH"

# ---------------------------------------------------------------- (b) build
if [ "$do_build" = 1 ]; then
    log "swift build -c release"
    attempt=1
    until swift build -c release --package-path "$repo" >"$work/build.log" 2>&1; do
        tail -20 "$work/build.log" >&2
        [ "$attempt" -ge "$build_retries" ] && die "release build failed $attempt times (log: $work/build.log)"
        echo "build failed (Sources/ may be mid-edit); retrying in 60 s ($attempt/$build_retries)" >&2
        attempt=$((attempt + 1)); sleep 60
    done
    tail -1 "$work/build.log" >&2
fi
[ -x "$repo/.build/release/plainsight" ] || die "no $repo/.build/release/plainsight (build it, or drop --no-build)"
# Time a private copy, so a concurrent rebuild cannot swap the binary mid-run.
ps_bin="$work/plainsight"
# The copy under test sits outside the checkout: point it at the rule files.
export PLAINSIGHT_PATTERNS="$repo/Patterns"
cp "$repo/.build/release/plainsight" "$ps_bin"
floor_bin="$work/floor"
shim="$work/malloc_count.so"
cc -O2 -o "$floor_bin" "$here/floor.c" -lpcap
cc -O2 -shared -fPIC -o "$shim" "$here/malloc_count.c" -ldl

# Provenance of the binary: HEAD plus whatever is uncommitted in the sources.
commit="$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"
dirty_files="$(git -C "$repo" status --porcelain -- Sources Package.swift Package.resolved 2>/dev/null | wc -l)"
if [ "$dirty_files" -gt 0 ]; then
    dirty_sha="$( (git -C "$repo" diff HEAD -- Sources Package.swift;
                   git -C "$repo" ls-files --others --exclude-standard -z -- Sources | xargs -0r cat) \
                 | sha256sum | cut -c1-12)"
    commit="$commit + uncommitted changes in $dirty_files file(s) under Sources/ or Package.* (diff sha256 $dirty_sha...)"
fi
[ "$do_build" = 1 ] || commit="$commit (--no-build: the binary was not rebuilt from this tree)"
commit="$commit; binary sha256 $(sha256sum "$ps_bin" | cut -c1-12)..."
echo "$commit" >"$raw/commit"

# ---------------------------------------------------------------- (c) workload
# gen_traffic.py names: --size 1G -> bench-1g.pcap
workload() {  # SIZE -> path (generated if missing)
    local sz="$1" lower p
    lower="$(printf '%s' "$sz" | tr 'A-Z' 'a-z')"
    p="$data_dir/bench-$lower.pcap"
    if [ ! -s "$p" ] || [ ! -s "${p%.pcap}.truth.json" ]; then
        [ -f "$gen" ] || die "no workload $p and no generator at $gen (set BENCH_GEN)"
        log "generating $p (--size $sz --seed $seed)"
        python3 "$gen" --size "$sz" --seed "$seed" --out "$p" -q >&2
    fi
    printf '%s\n' "$p"
}

if [ -n "$file" ]; then
    pcap="$file"; [ -s "$pcap" ] || die "no such capture: $pcap"
else
    pcap="$(workload "$size")"
fi
truth="${pcap%.pcap}.truth.json"; [ -s "$truth" ] || truth=""
log "workload $pcap: sha256 (also warms the page cache)"
sha="$(sha256sum "$pcap" | cut -d' ' -f1)"
cat "$pcap" >/dev/null
echo "$sha" >"$raw/sha256"
if [ -n "$truth" ]; then
    truth_sha="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pcap"]["sha256"])' "$truth")"
    [ "$sha" = "$truth_sha" ] || echo "WARNING: sha256 differs from the truth sidecar ($truth_sha)" >&2
fi
if [ -z "$file" ] && [ "$size" = "1G" ] && [ "$seed" = 1 ] && [ "$sha" != "$ref_1g_sha" ]; then
    echo "WARNING: 1G workload sha256 $sha != README reference $ref_1g_sha" >&2
fi
floor_out="$("$floor_bin" "$pcap")"
echo "$floor_out" >"$raw/floor_count"
echo "floor: $floor_out" >&2

ps_cmd=("$ps_bin" read "$pcap" --format json --output /dev/null --analyzers "$analyzers")
floor_cmd=("$floor_bin" "$pcap")
q() { printf '%q ' "$@"; }

# ---------------------------------------------------------------- load (before)
{ echo "before: $(uptime)"; sed 's/^/before: cpu /' /proc/pressure/cpu; } >"$raw/load"

# ---------------------------------------------------------------- (d) timing
# hyperfine runs one command's runs back to back; on a noisy shared host that
# biases the comparison, so the runs are interleaved round-robin: one hyperfine
# invocation per round, each tool once, order alternating between rounds.
log "timing: $runs interleaved rounds (after 1 warm-up run each)"
hyperfine -N --runs 1 --warmup 1 --style none --export-json "$raw/hf-warmup.json" \
    "$(q "${ps_cmd[@]}")" "$(q "${floor_cmd[@]}")" >/dev/null
for r in $(seq 1 "$runs"); do
    if [ $((r % 2)) = 1 ]; then order=("$(q "${ps_cmd[@]}")" "$(q "${floor_cmd[@]}")")
    else order=("$(q "${floor_cmd[@]}")" "$(q "${ps_cmd[@]}")"); fi
    hyperfine -N --runs 1 --style none --export-json "$raw/hf-$r.json" "${order[@]}" >/dev/null
    python3 - "$raw/hf-$r.json" >&2 <<'PY'
import json, sys
for res in json.load(open(sys.argv[1]))["results"]:
    print("  %-60.60s %.3f s" % (res["command"].split()[0].rsplit("/", 1)[-1] + " " + " ".join(res["command"].split()[1:]), res["times"][0]))
PY
done

{ echo "after timing: $(uptime)"; sed 's/^/after timing: cpu /' /proc/pressure/cpu; } >>"$raw/load"

# ---------------------------------------------------------------- peak RSS, CPU
# Through /usr/bin/time, never from a big parent: Linux keeps the parent's RSS
# high-water mark across exec.
log "peak RSS and CPU: $rss_runs runs each (/usr/bin/time)"
for r in $(seq 1 "$rss_runs"); do
    /usr/bin/time -f '%e %M %U %S' -a -o "$raw/time-plainsight" "${ps_cmd[@]}"
    /usr/bin/time -f '%e %M %U %S' -a -o "$raw/time-floor" "${floor_cmd[@]}" >/dev/null
done
sed 's/^/  plainsight: /' "$raw/time-plainsight" >&2
sed 's/^/  floor:      /' "$raw/time-floor" >&2

# ---------------------------------------------------------------- (e) allocations
log "allocations: one in-order TCP flow of $flow_n and $((flow_n * 10)) data segments"
n1="$flow_n"; n2=$((flow_n * 10))
for n in "$n1" "$n2"; do
    f="$work/flow-$n.pcap"
    [ -s "$f" ] || python3 "$here/gen_single_flow.py" --packets "$n" --out "$f" 2>/dev/null
done
count_mallocs() {  # LABEL PCAP ANALYZERS -> raw/mallocs-LABEL ("mallocs ..." line) and raw/out-LABEL.jsonl
    local label="$1" p="$2" a="$3"
    rm -f "$raw/mallocs-$label"
    MALLOC_COUNT_OUT="$raw/mallocs-$label" LD_PRELOAD="$shim" \
        "$ps_bin" read "$p" --format json --output "$raw/out-$label.jsonl" --analyzers "$a"
    "$floor_bin" "$p" >"$raw/floor_count-$label"
    echo "  $label: $(cat "$raw/mallocs-$label")" >&2
}
count_mallocs "flowN-$analyzers" "$work/flow-$n1.pcap" "$analyzers"
count_mallocs "flow10N-$analyzers" "$work/flow-$n2.pcap" "$analyzers"
if [ "$analyzers" != all ]; then
    count_mallocs "flowN-all" "$work/flow-$n1.pcap" all
    count_mallocs "flow10N-all" "$work/flow-$n2.pcap" all
fi
echo "$n1 $n2" >"$raw/flow_n"
log "allocations on the workload(s)"
if [ -z "$file" ] && [ "$size" != "128M" ]; then
    count_mallocs "workload" "$pcap" "$analyzers"
    p128="$(workload 128M)"
    count_mallocs "w128m" "$p128" "$analyzers"
    echo "$p128" >"$raw/w128m_path"
else
    count_mallocs "workload" "$pcap" "$analyzers"
fi

# ---------------------------------------------------------------- (f) instructions (opt-in)
if [ "$do_callgrind" = 1 ]; then
    p128="$(workload 128M)"
    echo "$p128" >"$raw/w128m_path"
    cat "$p128" >/dev/null
    log "instruction counts (valgrind cachegrind --cache-sim=no) on $p128; plainsight takes minutes"
    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
        "$ps_bin" read "$p128" --format json --output /dev/null --analyzers "$analyzers" \
        2>"$raw/cg-plainsight.txt"
    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
        "$floor_bin" "$p128" >/dev/null 2>"$raw/cg-floor.txt"
    "$floor_bin" "$p128" >"$raw/floor_count-cg"
    grep 'I *refs' "$raw/cg-plainsight.txt" "$raw/cg-floor.txt" >&2
fi

if [ "$do_profile" = 1 ]; then
    p20="$(workload 20M)"
    log "callgrind profile of plainsight on $p20 and on the $n1-segment flow"
    valgrind --tool=callgrind --dump-instr=no --callgrind-out-file="$work/callgrind-20m.out" \
        "$ps_bin" read "$p20" --format json --output /dev/null --analyzers "$analyzers" 2>"$raw/callgrind-20m.log"
    valgrind --tool=callgrind --dump-instr=no --callgrind-out-file="$work/callgrind-flow.out" \
        "$ps_bin" read "$work/flow-$n1.pcap" --format json --output /dev/null --analyzers "$analyzers" \
        2>"$raw/callgrind-flow.log"
    "$floor_bin" "$p20" >"$raw/floor_count-profile"
    "$floor_bin" "$work/flow-$n1.pcap" >"$raw/floor_count-profile-flow"
    if command -v swift-demangle >/dev/null; then demangle=(swift-demangle --simplified)
    else demangle=(swift demangle --simplified); fi
    for t in 20m flow; do
        callgrind_annotate --auto=no --inclusive=yes "$work/callgrind-$t.out" 2>/dev/null | "${demangle[@]}" >"$work/callgrind-$t-inclusive.txt"
        callgrind_annotate --auto=no --inclusive=no "$work/callgrind-$t.out" 2>/dev/null | "${demangle[@]}" >"$work/callgrind-$t-self.txt"
        callgrind_annotate --auto=no --tree=caller "$work/callgrind-$t.out" 2>/dev/null | "${demangle[@]}" >"$work/callgrind-$t-callers.txt"
    done
    echo "$p20" >"$raw/profile_path"
    echo "profiles: $work/callgrind-{20m,flow}.out, annotated: $work/callgrind-*-{inclusive,self,callers}.txt" >&2
fi

# ---------------------------------------------------------------- load (after)
{ echo "after: $(uptime)"; sed 's/^/after: cpu /' /proc/pressure/cpu; } >>"$raw/load"

# ---------------------------------------------------------------- report
log "report"
section="$work/section.md"
BENCH_PCAP="$pcap" BENCH_TRUTH="$truth" BENCH_RAW="$raw" BENCH_ANALYZERS="$analyzers" \
BENCH_REF_SHA="$ref_1g_sha" BENCH_WORKDIR="$work" BENCH_CMD="plainsight read FILE --format json --output /dev/null --analyzers $analyzers" \
python3 - >"$section" <<'PY'
import json, os, re, statistics, subprocess, time, glob

raw = os.environ["BENCH_RAW"]
pcap = os.environ["BENCH_PCAP"]
truth_path = os.environ["BENCH_TRUTH"]
analyzers = os.environ["BENCH_ANALYZERS"]

def read(name, default=""):
    p = os.path.join(raw, name)
    return open(p).read().strip() if os.path.exists(p) else default

def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception:
        return ""

def floor_packets(name):
    m = re.search(r"packets (\d+)", read(name))
    return int(m.group(1)) if m else None

def mallocs(label):
    m = re.search(r"mallocs (\d+)", read("mallocs-" + label))
    return int(m.group(1)) if m else None

def stats_record(label):
    p = os.path.join(raw, "out-%s.jsonl" % label)
    if not os.path.exists(p):
        return {}
    for line in open(p):
        try:
            d = json.loads(line)
        except ValueError:
            continue
        if d.get("type") == "stats" and d.get("final"):
            return d
    return {}

def fmt(x, nd=0):
    return "–" if x is None else f"{x:,.{nd}f}"

truth = json.load(open(truth_path)) if truth_path else {}
size = os.path.getsize(pcap)
packets = floor_packets("floor_count")
truth_packets = truth.get("pcap", {}).get("packets")
flows = truth.get("flows", {}).get("total")

# ---- timing
times = {"plainsight": [], "floor": []}
for p in sorted(glob.glob(os.path.join(raw, "hf-[0-9]*.json"))):
    for res in json.load(open(p))["results"]:
        key = "floor" if res["command"].split()[0].endswith("/floor") else "plainsight"
        times[key].extend(res["times"])
med = {k: statistics.median(v) for k, v in times.items()}
mbps = {k: size / 1e6 / v for k, v in med.items()}
mpps = {k: packets / 1e6 / v for k, v in med.items()}
ratio = 100.0 * mbps["plainsight"] / mbps["floor"]

def time_file(name):
    rows = []
    for line in read(name).splitlines():
        parts = line.split()
        if len(parts) == 4:
            try:
                rows.append([float(x) for x in parts])
            except ValueError:
                pass
    return rows

tm = {k: time_file("time-" + k) for k in ("plainsight", "floor")}
rss = {k: statistics.median(r[1] for r in v) / 1024 if v else None for k, v in tm.items()}
rss_max = {k: max(r[1] for r in v) / 1024 if v else None for k, v in tm.items()}
user = {k: statistics.median(r[2] for r in v) if v else None for k, v in tm.items()}
syst = {k: statistics.median(r[3] for r in v) if v else None for k, v in tm.items()}
cpu = {k: statistics.median(r[2] + r[3] for r in v) if v else None for k, v in tm.items()}

# ---- machine
cpu_model = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-").strip()
mem_kb = int(re.search(r"MemTotal:\s+(\d+)", open("/proc/meminfo").read()).group(1))
out = []
w = out.append
w("## %s — %s, `--analyzers %s`" % (time.strftime("%Y-%m-%d %H:%M %Z"), os.path.basename(pcap), analyzers))
w("")
w("- Machine: %s vCPU, %s, %.1f GiB RAM, Linux %s" % (sh("nproc"), cpu_model, mem_kb / 2**20, sh("uname -r")))
w("- Toolchain: %s; %s; libpcap %s; %s; %s" % (
    sh("swift --version 2>&1 | grep -m1 -i 'swift version'"), sh("cc --version | head -1"),
    sh("pkg-config --modversion libpcap"), sh("hyperfine --version"), sh("valgrind --version")))
w("- Commit: %s" % read("commit"))
sha = read("sha256")
ref = ""
if os.path.basename(pcap) == "bench-1g.pcap":
    ref = " (matches the README reference)" if sha == os.environ["BENCH_REF_SHA"] else " (**differs from the README reference**)"
if truth and truth.get("pcap", {}).get("sha256") not in (None, sha):
    ref += " (**differs from its truth sidecar**)"
w("- Workload: `%s`, %s bytes, %s packets%s, sha256 `%s`%s" % (
    pcap, f"{size:,}", fmt(packets), ", %s flows" % f"{flows:,}" if flows else "", sha, ref))
if truth_packets is not None and truth_packets != packets:
    w("- **The floor counted %s packets, the truth sidecar says %s.**" % (fmt(packets), fmt(truth_packets)))
st = stats_record("workload")
if st:
    ok = st.get("packets") == packets
    w("- plainsight's stats record: %s packets%s, %s flows, %s decoded, %s bypassed" % (
        fmt(st.get("packets")), "" if ok else " (**≠ %s**)" % fmt(packets), fmt(st.get("flows")),
        fmt(st.get("decoded_packets")), fmt(st.get("bypassed_packets"))))
w("- Command: `%s`; floor: `floor FILE` (Benchmarks/floor.c, `cc -O2`)" % os.environ["BENCH_CMD"])
w("- Method: page cache warm; %d runs per tool after one warm-up, interleaved round-robin "
  "(one `hyperfine -N --runs 1` per round, order alternating); RSS and CPU from %d `/usr/bin/time` runs each (medians)."
  % (len(times["plainsight"]), len(tm["plainsight"])))
w("")
w("| | plainsight | floor | target |")
w("|---|---:|---:|---|")
w("| median wall time (s) | %.3f | %.3f | |" % (med["plainsight"], med["floor"]))
w("| runs (s) | %s | %s | |" % (" ".join("%.2f" % t for t in times["plainsight"]), " ".join("%.3f" % t for t in times["floor"])))
w("| throughput (MB/s) | %s | %s | |" % (fmt(mbps["plainsight"]), fmt(mbps["floor"])))
w("| packet rate (Mpps) | %.3f | %.3f | |" % (mpps["plainsight"], mpps["floor"]))
# Issue 2's target is for `flows`; issue 5's for the whole pipeline (all analyzers).
if analyzers == "flows":
    target, label = 40, "≥ 40 %% (aim 50 %%)"
else:
    target, label = 25, "≥ 25 %% (whole pipeline)"
w(("| **throughput vs floor** | **%.1f %%** | 100 %% | " + label + ": %s |") % (ratio, "PASS" if ratio >= target else "FAIL"))
w("| time per packet (ns) | %.0f | %.0f | |" % (med["plainsight"] / packets * 1e9, med["floor"] / packets * 1e9))
w("| **peak RSS (MiB)**, median (max) | **%s** (%s) | %s (%s) | < 300 MB on 1 GiB: %s |" % (
    fmt(rss["plainsight"], 1), fmt(rss_max["plainsight"], 1), fmt(rss["floor"], 1), fmt(rss_max["floor"], 1),
    (("PASS" if rss_max["plainsight"] * 1.048576 < 300 else "FAIL") if size >= 10**9 else "n/a (smaller workload)")
    if rss_max["plainsight"] else "–"))
w("| user + sys CPU (s) | %s + %s = %s | %s + %s = %s | |" % (
    fmt(user["plainsight"], 2), fmt(syst["plainsight"], 2), fmt(cpu["plainsight"], 2),
    fmt(user["floor"], 2), fmt(syst["floor"], 2), fmt(cpu["floor"], 2)))
w("")

# ---- allocations
n1, n2 = (int(x) for x in read("flow_n").split())
w("Heap allocations (Benchmarks/malloc_count.c: malloc + calloc + realloc + posix_memalign + "
  "aligned_alloc + memalign calls over the whole process, startup included):")
w("")
w("| capture | analyzers | packets | mallocs | mallocs per packet |")
w("|---|---|---:|---:|---:|")
verdicts = []
an_sets = [analyzers] + ([] if analyzers == "all" else ["all"])
for a in an_sets:
    m1, m2 = mallocs("flowN-" + a), mallocs("flow10N-" + a)
    p1, p2 = floor_packets("floor_count-flowN-" + a), floor_packets("floor_count-flow10N-" + a)
    if None in (m1, m2, p1, p2):
        continue
    w("| one in-order flow, %s data segments | %s | %s | %s | %.3f |" % (f"{n1:,}", a, fmt(p1), fmt(m1), m1 / p1))
    w("| one in-order flow, %s data segments | %s | %s | %s | %.3f |" % (f"{n2:,}", a, fmt(p2), fmt(m2), m2 / p2))
    per_extra = (m2 - m1) / (p2 - p1)
    per_extra_data = (m2 - m1) / (n2 - n1)
    verdict = "PASS" if per_extra < 0.001 else "FAIL"
    w("| **growth per extra packet** (per extra data segment) | %s | +%s | +%s | **%.3f** (%.3f): %s |" % (
        a, fmt(p2 - p1), fmt(m2 - m1), per_extra, per_extra_data, verdict))
    verdicts.append((a, per_extra, verdict))
for label in ("workload", "w128m"):
    m = mallocs(label)
    p = floor_packets("floor_count-" + label)
    if m is None or p is None:
        continue
    name = os.path.basename(read("w128m_path")) if label == "w128m" else os.path.basename(pcap)
    tp = json.load(open(os.path.splitext(read("w128m_path") if label == "w128m" else pcap)[0] + ".truth.json")) \
        if os.path.exists(os.path.splitext(read("w128m_path") if label == "w128m" else pcap)[0] + ".truth.json") else {}
    fl = tp.get("flows", {}).get("total")
    w("| %s%s | %s | %s | %s | %.3f (%s per flow) |" % (
        name, "" if not fl else " (%s flows)" % f"{fl:,}", analyzers, fmt(p), fmt(m), m / p,
        "%.1f" % (m / fl) if fl else "–"))
w("")
w("Target: zero heap allocations per in-order packet in steady state (the count must not grow with packets).")
w("")

# ---- instructions
cg = {}
for k in ("plainsight", "floor"):
    txt = read("cg-%s.txt" % k)
    m = re.search(r"I\s+refs:\s+([\d,]+)", txt)
    if m:
        cg[k] = int(m.group(1).replace(",", ""))
if len(cg) == 2:
    p = floor_packets("floor_count-cg")
    w("Instruction counts (`valgrind --tool=cachegrind --cache-sim=no`) on `%s` (%s packets):" % (
        os.path.basename(read("w128m_path")), fmt(p)))
    w("")
    w("| | instructions | per packet | × floor |")
    w("|---|---:|---:|---:|")
    w("| plainsight | %s | %s | %.2f |" % (fmt(cg["plainsight"]), fmt(cg["plainsight"] / p), cg["plainsight"] / cg["floor"]))
    w("| floor | %s | %s | 1.00 |" % (fmt(cg["floor"]), fmt(cg["floor"] / p)))
    w("")

# ---- profile
def split_fn(text):
    """'file:function [object]' -> function (file variants of one function are merged)."""
    text = re.sub(r"\s\[[^\]]*\]$", "", text.strip())
    m = re.match(r"^(\?\?\?|//<compiler-generated>|[^:]*?\.(?:swift|c|h|S|s|cpp|cc|cxx|hpp|inc|def)):(.*)$", text)
    if not m:
        m = re.match(r"^([^\s:]*):(.*)$", text)
    return m.group(2) if m else text

# Process entry frames that contain everything (left out of the inclusive tables).
ENTRY_WRAPPERS = {"(below main)", "__libc_start_main@@GLIBC_2.34", "__libc_start_main", "_start", "main",
                  "plainsight_main", "protocol witness for ParsableCommand.run() in conformance Read", "Read.run()"}

def top_functions(path, inclusive, n=15):
    agg = {}
    if not os.path.exists(path):
        return []
    for line in open(path).read().splitlines():
        m = re.match(r"^\s*([\d,]+)\s+\(\s*([\d.]+)%\)\s+(\S.*)$", line)
        if not m or "PROGRAM TOTALS" in line or m.group(3).startswith(("=>", "<", "*")):
            continue
        ir = int(m.group(1).replace(",", ""))
        fn = split_fn(m.group(3))
        if inclusive and (fn in ENTRY_WRAPPERS or re.match(r"^0x[0-9a-f]+$", fn)):
            continue
        # inclusive: the same function under two file names (inlined parts) -> the larger;
        # self: the parts add up.
        agg[fn] = max(agg.get(fn, 0), ir) if inclusive else agg.get(fn, 0) + ir
    total = None
    txt = open(path).read()
    mt = re.search(r"^\s*([\d,]+)\s+\(100\.0%\)\s+PROGRAM TOTALS", txt, re.M)
    if mt:
        total = int(mt.group(1).replace(",", ""))
    rows = sorted(agg.items(), key=lambda kv: -kv[1])[:n]
    return [(ir, 100.0 * ir / total if total else 0.0, fn) for fn, ir in rows]

ALLOCATORS = {"malloc", "calloc", "realloc", "posix_memalign", "aligned_alloc", "memalign",
              "_mid_memalign.constprop.0", "swift_slowAlloc", "swift_allocObject", "swift_allocBox",
              "operator new(unsigned long)", "swift_coroFrameAlloc"}

def alloc_callers(path, n=10):
    """Where heap allocations enter the allocator (malloc & co, swift_allocObject, swift_slowAlloc)
    from the program, with call counts, from callgrind_annotate --tree=caller."""
    if not os.path.exists(path):
        return []
    calls = {}
    for b in open(path).read().split("\n\n"):
        lines = [l for l in b.splitlines() if l.strip()]
        star = [l for l in lines if re.match(r"^\s*[\d,]+\s+\(\s*[\d.]+%\)\s+\*\s", l)]
        if not star:
            continue
        me = split_fn(re.sub(r"^\s*[\d,]+\s+\(\s*[\d.]+%\)\s+\*\s+", "", star[-1]))
        if me not in ALLOCATORS:
            continue
        for l in lines:
            m = re.match(r"^\s*[\d,]+\s+\(\s*[\d.]+%\)\s+<\s+(.*?)\s\(([\d,]+)x\)(\s\[[^\]]*\])?\s*$", l)
            if m:
                fn = split_fn(m.group(1))
                if fn in ALLOCATORS:
                    continue
                calls[fn] = calls.get(fn, 0) + int(m.group(2).replace(",", ""))
    return sorted(calls.items(), key=lambda kv: -kv[1])[:n]

if read("profile_path"):
    wd = os.environ["BENCH_WORKDIR"]
    def short(fn, width=150):
        fn = fn.replace("|", "\\|")
        return fn if len(fn) <= width else fn[:width - 3] + "..."
    for tag, title, pk in (("20m", "`%s`" % os.path.basename(read("profile_path")), "floor_count-profile"),
                           ("flow", "the one-flow capture (%s data segments)" % f"{n1:,}", "floor_count-profile-flow")):
        p = floor_packets(pk)
        w("callgrind profile (`--dump-instr=no`, demangled; a function's parts under different file names merged; "
          "process entry frames left out of the inclusive table) on %s (%s packets):" % (title, fmt(p)))
        w("")
        for kind, inclusive in (("inclusive", True), ("self", False)):
            w("| %s Ir | %% | per packet | function |" % kind)
            w("|---:|---:|---:|---|")
            for ir, pct, fn in top_functions(os.path.join(wd, "callgrind-%s-%s.txt" % (tag, kind)), inclusive):
                w("| %s | %.2f | %s | `%s` |" % (f"{ir:,}", pct, fmt(ir / p) if p else "–", short(fn)))
            w("")
        ac = alloc_callers(os.path.join(wd, "callgrind-%s-callers.txt" % tag))
        if ac:
            w("Where allocations come from (direct callers of malloc & co, swift_allocObject, swift_slowAlloc), by calls:")
            w("")
            w("| calls | per packet | caller |")
            w("|---:|---:|---|")
            for fn, c in ac:
                w("| %s | %s | `%s` |" % (f"{c:,}", "%.3f" % (c / p) if p else "–", short(fn)))
            w("")

w("Load:")
w("")
w("```")
w(read("load"))
w("```")
w("")
print("\n".join(out))
PY

cat "$section"
if [ "$results" != "-" ]; then
    if [ ! -s "$results" ]; then
        printf '# PlainSight benchmark results\n\nAppended by `bash Benchmarks/run.sh` (see Benchmarks/README.md), newest last.\n\n' >"$results"
    fi
    cat "$section" >>"$results"
    echo "appended to $results" >&2
fi
