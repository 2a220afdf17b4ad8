#!/usr/bin/env bash
# Re-records PlainSight's loopback sample captures (see README.md).
#
#   sudo bash Captures/record.sh
#
# Every server binds to 127.0.0.1 or ::1 and every client talks only to it;
# tcpdump records on the loopback interface with a port filter, so nothing
# else on the machine ends up in a file. Credentials and contents are fake.
# Missing tools are installed with apt-get. Files are first written to a
# temporary directory and moved here only when complete, so the script can be
# re-run at any time and overwrites the previous captures.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$HERE"
ORACLE_DIR="$HERE/oracle"
ORACLE_TOOL="$HERE/../../shared/tools/tshark_oracle.py"
HELPERS="$HERE/record_helpers.py"
# Debian's interpreter: the apt-installed modules (pyftpdlib, aiosmtpd) live there.
PY=/usr/bin/python3

# Fixed, unusual loopback ports (nothing standard, so tools cannot go by port).
P_TLS13=14433
P_TLS12=14434
P_HTTP=18080          # http-curl.pcap and http-curl.pcapng (same traffic)
P_HTTP_ANY=18081      # mixed-any.pcap   (-i any, LINUX_SLL2)
P_HTTP_SLL1=18082     # mixed-sll1.pcap  (-i any -y LINUX_SLL)
P_HTTP6=18086         # http-ipv6-curl.pcap
P_SMTP=12525
P_FTP=12121
P_FTP_PASV_LO=12130
P_FTP_PASV_HI=12139
P_POP3=11110
P_IMAP=11143
P_DNS=15353
P_SSH=12222

log() { printf '[record] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (tcpdump needs it, and apt-get may be needed)"

# ------------------------------------------------------------ housekeeping
WORK="$(mktemp -d /tmp/plainsight-captures.XXXXXX)"
PIDS=()
MADE_RUN_SSHD=0
MADE_POLICY=0
cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        if kill -0 "$p" 2>/dev/null; then
            kill -TERM "$p" 2>/dev/null || true
            wait "$p" 2>/dev/null || true
        fi
    done
    if [ "$MADE_RUN_SSHD" -eq 1 ]; then rmdir /run/sshd 2>/dev/null || true; fi
    if [ "$MADE_POLICY" -eq 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ----------------------------------------------------------------- packages
have() { command -v "$1" >/dev/null 2>&1; }
pymod() { [ -x "$PY" ] && "$PY" -c "import $1" >/dev/null 2>&1; }

APT_UPDATED=0
apt_install() {
    if [ "$APT_UPDATED" -eq 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        APT_UPDATED=1
    fi
    log "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

pkgs=()
have tcpdump  || pkgs+=(tcpdump)
have tshark   || pkgs+=(tshark)
have dumpcap  || pkgs+=(wireshark-common)
have capinfos || pkgs+=(wireshark-common)
have openssl  || pkgs+=(openssl)
have curl     || pkgs+=(curl)
have ss       || pkgs+=(iproute2)
have ip       || pkgs+=(iproute2)
have timeout  || pkgs+=(coreutils)
[ -x "$PY" ]  || pkgs+=(python3)
pymod pyftpdlib || pkgs+=(python3-pyftpdlib)
pymod aiosmtpd  || pkgs+=(python3-aiosmtpd)
if [ "${#pkgs[@]}" -gt 0 ]; then
    # shellcheck disable=SC2207
    pkgs=($(printf '%s\n' "${pkgs[@]}" | sort -u))
    apt_install "${pkgs[@]}"
fi
for t in tcpdump tshark dumpcap capinfos openssl curl ss ip timeout; do
    have "$t" || die "$t is still missing"
done
pymod pyftpdlib || die "python module pyftpdlib missing for $PY"
pymod aiosmtpd  || die "python module aiosmtpd missing for $PY"

# SSH is optional (RECORD_SSH=0 skips it); skipped too if openssh-server
# cannot be installed. Installing openssh-server must not start a system sshd
# (it would listen on every interface), so where no policy-rc.d exists one that
# forbids service starts is put in place for the duration of the install only.
WANT_SSH="${RECORD_SSH:-1}"
if [ "$WANT_SSH" = 1 ] && { [ ! -x /usr/sbin/sshd ] || ! have ssh || ! have ssh-keygen; }; then
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        MADE_POLICY=1
        printf '#!/bin/sh\n# temporary, from PlainSight Captures/record.sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
    fi
    apt_install openssh-server openssh-client || true
    if [ "$MADE_POLICY" -eq 1 ]; then
        rm -f /usr/sbin/policy-rc.d
        MADE_POLICY=0
    fi
fi
if [ "$WANT_SSH" = 1 ] && { [ ! -x /usr/sbin/sshd ] || ! have ssh || ! have ssh-keygen; }; then
    log "openssh not available: ssh-openssh.pcap will not be recorded"
    WANT_SSH=0
fi

# start_bg NAME CMD...: run CMD in the background, log to $WORK/NAME.log; pid in BG_PID
start_bg() {
    local name="$1"; shift
    "$@" >"$WORK/$name.log" 2>&1 &
    BG_PID=$!
    PIDS+=("$BG_PID")
}

# stop_pid PID [SIGNAL]: signal a process we started (if alive) and reap it
stop_pid() {
    local pid="$1" sig="${2:-TERM}"
    kill -"$sig" "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# port_free tcp|udp PORT...: fail if something already listens there
port_free() {
    local proto="$1"; shift
    local flag=t p
    [ "$proto" = udp ] && flag=u
    for p in "$@"; do
        if [ -n "$(ss -Hln$flag "sport = :$p" 2>/dev/null)" ]; then
            die "$proto port $p is already in use on this machine"
        fi
    done
}

# wait_listen tcp|udp PORT: wait (without sending any packet) until a server listens
wait_listen() {
    local proto="$1" port="$2" flag=t _
    [ "$proto" = udp ] && flag=u
    for _ in $(seq 1 100); do
        [ -n "$(ss -Hln$flag "sport = :$port" 2>/dev/null)" ] && return 0
        sleep 0.1
    done
    die "no server listening on $proto port $port (see logs)"
}

# wait_log FILE PATTERN: wait until a log file shows PATTERN
wait_log() {
    local f="$1" pat="$2" _
    for _ in $(seq 1 100); do
        grep -q "$pat" "$f" 2>/dev/null && return 0
        sleep 0.1
    done
    cat "$f" >&2 || true
    die "timed out waiting for '$pat' in $f"
}

# start_capture FILE IFACE FILTER [extra tcpdump args...]; pid in CAP_PID
start_capture() {
    local file="$1" iface="$2" filter="$3"; shift 3
    # --immediate-mode: hand each packet over at once (else TPACKET_V3 holds
    # packets for up to a second and a quick SIGINT loses them);
    # -B 32768: a 32 MiB ring; in immediate mode each ring slot holds a whole
    # snapshot (256 KiB on "any"), so the default 2 MiB ring drops bursts;
    # -Z root: do not drop to the tcpdump user (the file stays root-owned)
    tcpdump -i "$iface" -s 0 -U --immediate-mode -B 32768 -Z root "$@" -w "$WORK/$file" "$filter" \
        2>"$WORK/$file.tcpdump.log" &
    CAP_PID=$!
    PIDS+=("$CAP_PID")
    wait_log "$WORK/$file.tcpdump.log" "listening on"
    sleep 0.3
}

# stop_capture FILE: stop tcpdump cleanly (SIGINT, wait) and move the file into place
stop_capture() {
    local file="$1"
    sleep 0.5                      # let the last packets (FIN/ACK) be recorded
    stop_pid "$CAP_PID" INT
    grep -E "packets (captured|dropped by kernel)" "$WORK/$file.tcpdump.log" | sed "s/^/[record]   $file: /" >&2 || true
    if grep -qE "^[1-9][0-9]* packets dropped by kernel" "$WORK/$file.tcpdump.log"; then
        die "$file: kernel dropped packets"
    fi
    finish_file "$file"
}

# finish_file FILE: sanity-check a recording in $WORK and move it to Captures/
finish_file() {
    local file="$1" n
    [ -s "$WORK/$file" ] || die "$file was not written"
    n="$(capinfos -T -r -c "$WORK/$file" | awk -F'\t' '{print $2}')"
    [ "${n:-0}" -gt 0 ] 2>/dev/null || die "$file contains no packets"
    mv -f "$WORK/$file" "$OUT/$file"
    chmod 644 "$OUT/$file"
    RECORDED+=("$file")
    log "wrote $file ($n packets, $(stat -c %s "$OUT/$file") bytes)"
}

RECORDED=()

# ------------------------------------------------------------ TLS (openssl)
log "generating a throwaway self-signed RSA-2048 certificate"
openssl req -x509 -newkey rsa:2048 -nodes -days 30 \
    -keyout "$WORK/key.pem" -out "$WORK/cert.pem" \
    -subj "/O=PlainSight test/CN=plainsight.test" \
    -addext "subjectAltName=DNS:plainsight.test" >/dev/null 2>&1

# tls_session FILE PORT "server args" "client args"
tls_session() {
    local file="$1" port="$2" sargs="$3" cargs="$4" srv
    log "recording $file (openssl s_server/s_client on 127.0.0.1:$port)"
    port_free tcp "$port"
    # -rev: the server answers each line with the line reversed; -naccept 1: one client
    # shellcheck disable=SC2086
    start_bg "s_server-$port" openssl s_server -accept "127.0.0.1:$port" \
        -cert "$WORK/cert.pem" -key "$WORK/key.pem" -rev -naccept 1 $sargs
    srv=$BG_PID
    wait_listen tcp "$port"
    start_capture "$file" lo "port $port"
    # shellcheck disable=SC2086
    { printf 'hello from s_client\n'; sleep 0.5; printf 'second line, then EOF\n'; sleep 0.5; } |
        timeout 20 openssl s_client -connect "127.0.0.1:$port" -servername plainsight.test \
            -CAfile "$WORK/cert.pem" $cargs >"$WORK/s_client-$port.log" 2>&1 ||
        { cat "$WORK/s_client-$port.log" >&2; die "s_client failed for $file"; }
    grep -E "^(New|Protocol|    Cipher|Verify return)" "$WORK/s_client-$port.log" | sed 's/^ */[record]   /' >&2 || true
    stop_capture "$file"
    stop_pid "$srv"
}

tls_session tls13-openssl.pcap "$P_TLS13" "" "-tls1_3"
tls_session tls12-openssl.pcap "$P_TLS12" \
    "-tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256" "-tls1_2"

# --------------------------------------------------------------- HTTP (curl)
mkdir -p "$WORK/www"
cat >"$WORK/www/index.html" <<'EOF'
<!DOCTYPE html>
<html><head><title>PlainSight loopback test</title></head>
<body><p>Hello from the PlainSight loopback test server.</p></body></html>
EOF
printf 'plain text file served over loopback for PlainSight tests\n' >"$WORK/www/hello.txt"

# http_server ADDR PORT: start the HTTP/1.1 python server; pid in HTTP_PID
http_server() {
    port_free tcp "$2"
    start_bg "httpd-$2" "$PY" "$HELPERS" http-server "$1" "$2" "$WORK/www"
    HTTP_PID=$BG_PID
    wait_listen tcp "$2"
}

CURL=(curl --http1.1 -sS --max-time 10 --noproxy '*' -w '[record]   %{http_code} %{url_effective} new-connections=%{num_connects}\n')

# http-curl.pcap and http-curl.pcapng: the same connection recorded twice at once,
# by tcpdump (pcap) and by dumpcap (pcapng).
log "recording http-curl.pcap + http-curl.pcapng (python http.server, curl keep-alive, 127.0.0.1:$P_HTTP)"
http_server 127.0.0.1 "$P_HTTP"
dumpcap -q -i lo -s 0 -f "port $P_HTTP" -w "$WORK/http-curl.pcapng" 2>"$WORK/dumpcap.log" &
DUMPCAP_PID=$!
PIDS+=("$DUMPCAP_PID")
wait_log "$WORK/dumpcap.log" "Capturing on"
start_capture http-curl.pcap lo "port $P_HTTP"
u="http://127.0.0.1:$P_HTTP"
"${CURL[@]}" -o /dev/null "$u/" -o /dev/null "$u/hello.txt" -o /dev/null "$u/missing.html" >&2
stop_capture http-curl.pcap
sleep 1.5                          # dumpcap has no immediate mode: let its buffer drain
stop_pid "$DUMPCAP_PID" INT
finish_file http-curl.pcapng
n_pcap="$(capinfos -T -r -c "$OUT/http-curl.pcap" | awk -F'\t' '{print $2}')"
n_ng="$(capinfos -T -r -c "$OUT/http-curl.pcapng" | awk -F'\t' '{print $2}')"
[ "$n_pcap" = "$n_ng" ] || die "http-curl.pcap has $n_pcap packets but http-curl.pcapng has $n_ng"
stop_pid "$HTTP_PID"

if ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/'; then
    log "recording http-ipv6-curl.pcap (python http.server and curl on [::1]:$P_HTTP6)"
    http_server ::1 "$P_HTTP6"
    start_capture http-ipv6-curl.pcap lo "port $P_HTTP6"
    "${CURL[@]}" -g -o /dev/null "http://[::1]:$P_HTTP6/hello.txt" >&2
    stop_capture http-ipv6-curl.pcap
    stop_pid "$HTTP_PID"
else
    log "no ::1 on lo (IPv6 disabled?): http-ipv6-curl.pcap not recorded"
fi

log "recording mixed-any.pcap (tcpdump -i any: LINUX_SLL2, one curl GET on 127.0.0.1:$P_HTTP_ANY)"
http_server 127.0.0.1 "$P_HTTP_ANY"
start_capture mixed-any.pcap any "port $P_HTTP_ANY"
"${CURL[@]}" -o /dev/null "http://127.0.0.1:$P_HTTP_ANY/hello.txt" >&2
stop_capture mixed-any.pcap
stop_pid "$HTTP_PID"

log "recording mixed-sll1.pcap (tcpdump -i any -y LINUX_SLL, one curl GET on 127.0.0.1:$P_HTTP_SLL1)"
http_server 127.0.0.1 "$P_HTTP_SLL1"
start_capture mixed-sll1.pcap any "port $P_HTTP_SLL1" -y LINUX_SLL
"${CURL[@]}" -o /dev/null "http://127.0.0.1:$P_HTTP_SLL1/hello.txt" >&2
stop_capture mixed-sll1.pcap
stop_pid "$HTTP_PID"

# ------------------------------------------------------- SMTP / POP3 / IMAP
# py_session FILE PORT SERVER-CMD CLIENT-CMD
py_session() {
    local file="$1" port="$2" scmd="$3" ccmd="$4" srv
    log "recording $file ($scmd / $ccmd on 127.0.0.1:$port)"
    port_free tcp "$port"
    start_bg "$scmd" "$PY" "$HELPERS" "$scmd" "$port"
    srv=$BG_PID
    wait_listen tcp "$port"
    start_capture "$file" lo "port $port"
    timeout 30 "$PY" "$HELPERS" "$ccmd" "$port" >"$WORK/$ccmd.log" 2>&1 ||
        { cat "$WORK/$ccmd.log" >&2; die "$ccmd failed"; }
    stop_capture "$file"
    stop_pid "$srv"
}

py_session smtp-python.pcap "$P_SMTP" smtp-server smtp-client
py_session pop3-python.pcap "$P_POP3" pop3-server pop3-client
py_session imap-python.pcap "$P_IMAP" imap-server imap-client

# ---------------------------------------------------------------- FTP
log "recording ftp-python.pcap (pyftpdlib / ftplib, control 127.0.0.1:$P_FTP, passive $P_FTP_PASV_LO-$P_FTP_PASV_HI)"
port_free tcp "$P_FTP" $(seq "$P_FTP_PASV_LO" "$P_FTP_PASV_HI")
mkdir -p "$WORK/ftproot"
printf 'PlainSight FTP test file.\nNothing secret in here.\n' >"$WORK/ftproot/readme.txt"
printf 'second harmless file\n' >"$WORK/ftproot/notes.txt"
start_bg ftp-server "$PY" "$HELPERS" ftp-server "$P_FTP" "$P_FTP_PASV_LO" "$P_FTP_PASV_HI" "$WORK/ftproot"
FTP_PID=$BG_PID
wait_listen tcp "$P_FTP"
start_capture ftp-python.pcap lo "port $P_FTP or portrange $P_FTP_PASV_LO-$P_FTP_PASV_HI"
timeout 30 "$PY" "$HELPERS" ftp-client "$P_FTP" >"$WORK/ftp-client.log" 2>&1 ||
    { cat "$WORK/ftp-client.log" >&2; die "ftp-client failed"; }
stop_capture ftp-python.pcap
stop_pid "$FTP_PID"

# ---------------------------------------------------------------- DNS (UDP)
log "recording dns-udp.pcap (python UDP DNS responder and client, 127.0.0.1:$P_DNS)"
port_free udp "$P_DNS"
start_bg dns-server "$PY" "$HELPERS" dns-server "$P_DNS"
DNS_PID=$BG_PID
wait_listen udp "$P_DNS"
start_capture dns-udp.pcap lo "port $P_DNS"
timeout 30 "$PY" "$HELPERS" dns-client "$P_DNS" >"$WORK/dns-client.log" 2>&1 ||
    { cat "$WORK/dns-client.log" >&2; die "dns-client failed"; }
sed 's/^/[record]   /' "$WORK/dns-client.log" >&2
stop_capture dns-udp.pcap
stop_pid "$DNS_PID"

# ---------------------------------------------------------------- SSH
if [ "$WANT_SSH" = 1 ]; then
    log "recording ssh-openssh.pcap (OpenSSH sshd/ssh on 127.0.0.1:$P_SSH, authentication fails on purpose)"
    port_free tcp "$P_SSH"
    ssh-keygen -q -t ed25519 -N '' -C plainsight-test-hostkey -f "$WORK/ssh_host_ed25519_key"
    if [ ! -d /run/sshd ]; then   # sshd's privilege-separation directory
        mkdir -m 755 /run/sshd
        MADE_RUN_SSHD=1
    fi
    start_bg sshd /usr/sbin/sshd -D -e -f /dev/null -p "$P_SSH" \
        -h "$WORK/ssh_host_ed25519_key" \
        -o ListenAddress=127.0.0.1 -o PidFile="$WORK/sshd.pid" \
        -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no \
        -o PermitRootLogin=no -o AuthorizedKeysFile=none -o MaxStartups=2 -o UseDNS=no
    SSHD_PID=$BG_PID
    wait_listen tcp "$P_SSH"
    start_capture ssh-openssh.pcap lo "port $P_SSH"
    # The client has no usable credential: banners + key exchange + a refused login.
    env -u SSH_AUTH_SOCK timeout 20 ssh -F /dev/null -p "$P_SSH" \
        -o BatchMode=yes -o StrictHostKeyChecking=no \
        -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null \
        -o PubkeyAuthentication=no -o PasswordAuthentication=no \
        -o KbdInteractiveAuthentication=no -o GSSAPIAuthentication=no \
        -o ConnectTimeout=10 -o LogLevel=ERROR demo@127.0.0.1 true >"$WORK/ssh-client.log" 2>&1 || true
    if ! grep -q "Permission denied" "$WORK/ssh-client.log"; then
        cat "$WORK/ssh-client.log" >&2
        die "ssh did not reach the authentication step"
    fi
    sed 's/^/[record]   ssh: /' "$WORK/ssh-client.log" >&2
    stop_capture ssh-openssh.pcap
    stop_pid "$SSHD_PID"
fi

# ------------------------------------------------------------------- oracles
if [ -f "$ORACLE_TOOL" ]; then
    mkdir -p "$ORACLE_DIR"
    # tshark maps dissectors by well-known port; these captures use unusual
    # ports, so the oracle runs with a private Wireshark profile whose
    # "Decode As" table maps our ports to their protocols (nothing else changes).
    mkdir -p "$WORK/wireshark"
    {
        echo "# PlainSight Captures/record.sh: decode-as table for the loopback captures"
        echo "decode_as_entry: tcp.port,$P_TLS13,(none),TLS"
        echo "decode_as_entry: tcp.port,$P_TLS12,(none),TLS"
        for p in "$P_HTTP" "$P_HTTP_ANY" "$P_HTTP_SLL1" "$P_HTTP6"; do
            echo "decode_as_entry: tcp.port,$p,(none),HTTP"
        done
        echo "decode_as_entry: tcp.port,$P_SMTP,(none),SMTP"
        echo "decode_as_entry: tcp.port,$P_FTP,(none),FTP"
        echo "decode_as_entry: tcp.port,$P_POP3,(none),POP"
        echo "decode_as_entry: tcp.port,$P_IMAP,(none),IMAP"
        echo "decode_as_entry: udp.port,$P_DNS,(none),DNS"
        echo "decode_as_entry: tcp.port,$P_SSH,(none),SSH"
    } >"$WORK/wireshark/decode_as_entries"
    for f in "${RECORDED[@]}"; do
        log "oracle/$f.json"
        WIRESHARK_CONFIG_DIR="$WORK/wireshark" ORACLE_CACHE_DIR="$WORK/oracle-cache" \
            "$PY" "$ORACLE_TOOL" "$OUT/$f" >"$WORK/$f.json"
        mv -f "$WORK/$f.json" "$ORACLE_DIR/$f.json"
        chmod 644 "$ORACLE_DIR/$f.json"
    done
else
    log "oracle tool $ORACLE_TOOL not found: oracle/*.json not (re)generated"
fi

log "done: ${#RECORDED[@]} captures in $OUT"
for f in "${RECORDED[@]}"; do
    printf '[record]   %-22s %7s bytes  %s\n' "$f" "$(stat -c %s "$OUT/$f")" \
        "$(capinfos -T -r -c -E "$OUT/$f" | awk -F'\t' '{print $3" packets, link type "$2}')" >&2
done
