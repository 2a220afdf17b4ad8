#!/usr/bin/env bash
# Builds the fuzz package and runs one libFuzzer target on its seed corpus.
#
#   Fuzz/run.sh TARGET [SECONDS] [-- extra libFuzzer flags]
#
# TARGET: FuzzDecoder, FuzzReassembly, FuzzIdentification, FuzzPipeline, FuzzTLS,
# FuzzCertificate, FuzzCleartext, FuzzHPACK, FuzzValidators or FuzzScanner.
# SECONDS: total fuzzing time (default 300).
# New corpus entries go to a fresh temp dir (printed at the start; the seed
# corpus in Fuzz/Corpus/ is only read). Crashes, leaks, timeouts and OOMs go
# to /tmp/plainsight-fuzz-artifacts/ as TARGET-crash-<sha1>, the log as
# TARGET-<date>.log next to them.
#
# Environment:
#   SANITIZE=fuzzer            build without AddressSanitizer (default: fuzzer + address)
#   SKIP_BUILD=1               use the binaries already built
#   FUZZ_IGNORE=a,b            switch off named invariant checks (see each target's header)
#   FUZZ_VERBOSE=1             print a summary per input (use with a file argument, not for fuzzing)
#
# Reproduce a crash:  Fuzz/.build/debug/TARGET /tmp/plainsight-fuzz-artifacts/TARGET-crash-...
# Minimize it:        Fuzz/.build/debug/TARGET -minimize_crash=1 -runs=20000 \
#                         -exact_artifact_path=/tmp/min.bin /tmp/plainsight-fuzz-artifacts/TARGET-crash-...
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"

usage() { echo "usage: $0 FuzzDecoder|FuzzReassembly|FuzzIdentification|FuzzPipeline|FuzzTLS|FuzzCertificate|FuzzCleartext|FuzzHPACK|FuzzValidators|FuzzScanner [SECONDS] [-- libFuzzer flags]" >&2; exit 2; }
[[ $# -ge 1 ]] || usage
target="$1"; shift
case "$target" in
    FuzzDecoder|FuzzReassembly|FuzzIdentification|FuzzPipeline|FuzzTLS|FuzzCertificate|FuzzCleartext|FuzzHPACK|FuzzValidators|FuzzScanner) ;;
    *) usage ;;
esac
seconds=300
if [[ $# -ge 1 && "$1" != "--" ]]; then seconds="$1"; shift; fi
[[ "$seconds" =~ ^[0-9]+$ ]] || usage
if [[ $# -ge 1 && "$1" == "--" ]]; then shift; fi
extra=("$@")

# Not `--sanitize=fuzzer --sanitize=address`: SwiftPM passes two -sanitize= flags
# and the driver keeps only the last one, so the code gets ASan but no coverage
# instrumentation and libFuzzer runs blind ("no interesting inputs were found").
# One combined flag gives the frontend both.
sanitize=(--sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address)
if [[ "${SANITIZE:-}" == "fuzzer" ]]; then sanitize=(--sanitize=fuzzer); fi

if [[ -z "${SKIP_BUILD:-}" ]]; then
    # Debug (-Onone): libFuzzer finds far more there than at -O (swift-notes.md).
    # lld instead of gold: gold prints thousands of warnings about ASan symbols.
    echo "building the fuzz package (${sanitize[*]})..." >&2
    # SwiftPM does not notice files added to the main package (a dependency of
    # this one) and fails with "cannot find 'X' in scope": a newer manifest
    # makes it plan the build again.
    touch "$here/Package.swift"
    # Only this target's product: SwiftPM would otherwise also build the main
    # package's executable, which a build in progress there may have broken.
    swift build --package-path "$here" -c debug --product "$target" "${sanitize[@]}" -Xswiftc -use-ld=lld 2>&1 \
        | grep -v "Cannot export local symbol" >&2
fi
binary="$here/.build/debug/$target"
[[ -x "$binary" ]] || { echo "no binary at $binary (build failed?)" >&2; exit 1; }

artifacts=/tmp/plainsight-fuzz-artifacts
mkdir -p "$artifacts"
work="$(mktemp -d "/tmp/plainsight-fuzz-$target.XXXXXX")"
log="$artifacts/$target-$(date +%Y%m%d-%H%M%S).log"
echo "target:     $target for ${seconds}s" >&2
echo "new corpus: $work" >&2
echo "artifacts:  $artifacts/$target-*" >&2
echo "log:        $log" >&2

# The first corpus directory receives new inputs; the seeds are only read.
set +e
# Swift's own crash backtracer trips ASan (stack-buffer-underflow inside the
# backtracer); libFuzzer prints the stack of a trap itself.
SWIFT_BACKTRACE="${SWIFT_BACKTRACE:-enable=no}" \
ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}" \
    "$binary" "$work" "$here/Corpus/$target" \
    -max_total_time="$seconds" \
    -artifact_prefix="$artifacts/$target-" \
    -print_final_stats=1 \
    -timeout=10 -rss_limit_mb=2048 \
    "${extra[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

echo >&2
echo "exit status $status; $(ls "$work" | wc -l) new corpus entries in $work" >&2
grep -E "^#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added|stat::peak_rss_mb" "$log" >&2 || true
ls "$artifacts"/"$target"-crash-* "$artifacts"/"$target"-leak-* "$artifacts"/"$target"-timeout-* "$artifacts"/"$target"-oom-* 2>/dev/null >&2 || true
exit "$status"
