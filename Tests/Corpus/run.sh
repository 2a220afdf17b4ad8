#!/bin/sh
# Generates the content corpus, reads it with PlainSight twice (with --reveal
# for scoring, without it for the leak check) and runs both checks.
#
#   sh Tests/Corpus/run.sh [PLAINSIGHT]        (default .build/debug/plainsight)
#
# PLAINSIGHT_ARGS adds options to both reads (e.g. "--patterns-dir Patterns");
# CORPUS_OUT keeps the files in that folder (default: a fresh temporary one).
# SCORE_ARGS adds options to score.py (e.g. "--alias secret.x=jwt --json").
# Exit status 0 only when the targets are met and nothing leaked.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../../.build/debug/plainsight}
out=${CORPUS_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/content-corpus.XXXXXX")}
args=${PLAINSIGHT_ARGS:-}
python3 "$here/make_corpus.py" --out "$out"
pcap=$out/content-corpus.pcap
truth=$out/content-corpus.truth.json
# shellcheck disable=SC2086
"$bin" read "$pcap" $args --reveal --format json > "$out/findings-revealed.jsonl" 2> "$out/revealed.log"
# shellcheck disable=SC2086
"$bin" read "$pcap" $args --format json > "$out/findings.jsonl" 2> "$out/read.log"
# shellcheck disable=SC2086
"$bin" read "$pcap" $args --format text > "$out/findings.txt" 2>> "$out/read.log"
status=0
# shellcheck disable=SC2086
python3 "$here/score.py" "$pcap" "$truth" "$out/findings-revealed.jsonl" ${SCORE_ARGS:-} || status=1
python3 "$here/check_redaction.py" --truth "$truth" "$out/findings.jsonl" "$out/findings.txt" "$out/read.log" || status=1
echo "files in $out" >&2
exit $status
