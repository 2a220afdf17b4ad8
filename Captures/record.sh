#!/usr/bin/env bash
# Re-records PlainSight's loopback sample captures (see README.md).
#
#   sudo bash Captures/record.sh
#   RECORD_SSH=0 RECORD_PG=0 sudo bash Captures/record.sh   # without SSH / PostgreSQL
#   RECORD_ONLY=cleartext sudo bash Captures/record.sh       # only the cleartext-auth set
#   RECORD_ONLY=cleartext RECORD_REDIS=0 sudo bash Captures/record.sh   # ... without Redis
#   RECORD_ONLY=ftpdata sudo bash Captures/record.sh         # only ftp-data.pcap
#   RECORD_ONLY=content sudo bash Captures/record.sh         # only content-http.pcap
#   RECORD_ONLY=h2ccontent sudo bash Captures/record.sh      # only h2c-content.pcap
#   RECORD_ONLY=mailcontent sudo bash Captures/record.sh     # only mail-content.pcap
#   RECORD_ONLY=utf16content sudo bash Captures/record.sh    # only utf16-content.pcap
#   RECORD_ONLY=nntp sudo bash Captures/record.sh            # only nntp-python.pcap
#   RECORD_ONLY=brzstd sudo bash Captures/record.sh          # only content-br-zstd.pcap
#   RECORD_ONLY=grpc sudo bash Captures/record.sh            # only grpc-gzip.pcap
#   RECORD_ONLY=grpcmessages sudo bash Captures/record.sh    # only grpc-messages.pcap
#   RECORD_ONLY=identity sudo bash Captures/record.sh        # only http-identity.pcap
#   RECORD_ONLY=radius sudo bash Captures/record.sh          # only radius.pcap
#   RECORD_ONLY=tacacs sudo bash Captures/record.sh          # only tacacs.pcap
#   RECORD_ONLY=syslog sudo bash Captures/record.sh          # only syslog.pcap
#   RECORD_ONLY=proxy sudo bash Captures/record.sh           # only proxy-connect.pcap
#   RECORD_ONLY=socks sudo bash Captures/record.sh           # only socks-tunnels.pcap
#   RECORD_ONLY=websocket sudo bash Captures/record.sh       # only websocket.pcap
#   RECORD_ONLY=mqttws sudo bash Captures/record.sh          # only mqtt-websocket.pcap
#   RECORD_ONLY=stomp sudo bash Captures/record.sh           # only stomp-rabbitmq.pcap
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
P_CONTENT=18097       # content-http.pcap
P_H2C_CONTENT=18098   # h2c-content.pcap
P_MAIL_POP3=18099     # mail-content.pcap: POP3 RETR of the mail
P_MAIL_IMAP=18100     #                    IMAP FETCH BODY[] and APPEND of the mail
P_MAIL_SMTP=18101     #                    SMTP DATA of the mail
P_UTF16_HTTP=18102    # utf16-content.pcap: HTTP GET of a UTF-16LE export
P_UTF16_TDS=18103     #                     TDS (SQL Server) SQL batch and its result
P_NNTP=18104          # nntp-python.pcap
P_COMPRESSED=18105    # content-br-zstd.pcap
P_GRPC=18106          # grpc-gzip.pcap
P_GRPC_PLAIN=18107    # grpc-messages.pcap: gRPC without compression (grpcio)
P_GRPC_WEB=18108      #                     gRPC-Web text over HTTP/1.1 (curl, python server)
P_IDENTITY=18109      # http-identity.pcap: a Flask session cookie, a proxy's identity header
P_SAML=18110          # saml-post.pcap: the service provider (login, /acs, single logout)
P_SAML_IDP=18111      #                 the identity provider (/sso's auto-submitting page, /slo)
P_RADIUS=18120        # radius.pcap (UDP): FreeRADIUS authentication
P_RADIUS_ACCT=18121   #                    and accounting
P_TACACS=18149        # tacacs.pcap: TACACS+ server with a key (obfuscated; also the unencrypted flag)
P_TACACS_CLEAR=18150  #              TACACS+ server without a key (bodies in clear, no flag)
P_SYSLOG_UDP=18160    # syslog.pcap: logger to the sending rsyslogd (UDP)
P_SYSLOG_TCP=18161    #              rsyslogd to rsyslogd, TCP with octet counting (RFC 6587 3.4.1)
P_SYSLOG_TCP_LF=18162 #              ... TCP with LF framing (RFC 6587 3.4.2)
P_SYSLOG_RELP=18163   #              ... RELP
P_PROXY=18170         # proxy-connect.pcap: tinyproxy (BasicAuth), CONNECT tunnels from curl
P_PROXY_TLS=18171     #                     openssl s_server behind it (TLS 1.2, AES128-SHA)
P_PROXY_HTTP=18172    #                     python http.server behind it (plain HTTP in a tunnel)
P_SOCKS=18180         # socks-tunnels.pcap: Dante's danted, SOCKS5 and SOCKS4 CONNECT tunnels from curl
P_SOCKS_TLS=18181     #                     openssl s_server behind it (TLS 1.3)
P_WEBSOCKET=18190     # websocket.pcap: python3-websockets server and client (deflate, plain, no takeover)
P_MQTT_WS=18192       # mqtt-websocket.pcap: paho-mqtt over WebSocket to a python broker (wrong, right password)
P_STOMP=18195         # stomp-rabbitmq.pcap: RabbitMQ's STOMP listener (stomp.py), wrong then right password
P_WEB_STOMP=18196     #                      RabbitMQ's Web STOMP listener (v12.stomp over WebSocket), the same
P_RABBIT_AMQP=18194   #                      the broker's own AMQP and Erlang distribution ports (not recorded)
P_RABBIT_DIST=18197
P_SMTP=12525
P_FTP=12121
P_FTP_PASV_LO=12130
P_FTP_PASV_HI=12139
P_POP3=11110
P_IMAP=11143
P_DNS=15353
P_SSH=12222
# TLS captures added later: one port per connection, so tests can tell them apart
P_TLS10=14410         # tls10-openssl.pcap
P_TLS11=14411         # tls11-openssl.pcap
P_WEAK_NULL=14420     # tls12-weak-ciphers.pcap: NULL-SHA256            (0x003b)
P_WEAK_3DES=14421     #                          DES-CBC3-SHA, GnuTLS   (0x000a)
P_WEAK_RSA=14422      #                          AES128-GCM-SHA256      (0x009c)
P_WEAK_ADH=14423      #                          ADH-AES128-GCM-SHA256  (0x00a6)
P_WEAK_MD5=14424      #                          NULL-MD5               (0x0001)
P_HRR=14435           # tls13-hrr-openssl.pcap
P_CERT_EXPIRED=14440  # tls12-bad-certs.pcap: expired leaf
P_CERT_WEAK=14441     #                       RSA-1024 / SHA-1 leaf
P_CERT_WRONGSNI=14442 #                       SNI wrong.plainsight.test
P_CERT_VALID=14443    #                       valid leaf from the test CA
P_STARTTLS_SMTP=12587 # starttls-smtp.pcap
P_STARTTLS_IMAP=11144 # starttls-mail.pcap: IMAP STARTTLS
P_STARTTLS_POP3=11111 #                     POP3 STLS
P_FTP_TLS=12122       #                     FTP AUTH TLS (control connection only)
P_PGSQL=15432         # starttls-postgres.pcap
# Cleartext authentication set (RECORD_ONLY=cleartext records only these)
P_HTTP_AUTH=18090     # http-auth-curl.pcap: Basic/Bearer/API key/form/cookie
P_SMTP_AUTH=12526     # smtp-auth.pcap: aiosmtpd, AUTH PLAIN ok + AUTH LOGIN refused
P_FTP_REJECT=12123    # ftp-rejected.pcap: pyftpdlib, PASS wrong-password -> 530
P_FTP_FEAT=12124      #                    pyftpdlib TLS_FTPHandler, FEAT (AUTH TLS), clear login
P_FTP_AUTH_PASV_LO=12140  # passive range of those two servers (no data connection is made)
P_FTP_AUTH_PASV_HI=12141
P_POP3_SASL=11112     # pop3-imap-auth.pcap: POP3 CAPA + AUTH PLAIN
P_IMAP_AUTH=11145     #                      IMAP AUTHENTICATE PLAIN; LOGIN wrong password
P_REDIS=16379         # redis-auth.pcap: redis-server requirepass, AUTH ok + WRONGPASS
P_MQTT=11883          # mqtt-auth.pcap: mosquitto password_file, MQTT 5 / 3.1.1 / 3.1 CONNECTs
P_H2C=18095           # h2c-curl.pcap: python h2 server, curl prior knowledge / Upgrade: h2c / gRPC-style
P_FTP_DATA=12150      # ftp-data.pcap: pyftpdlib, RETR over PASV, PORT, EPSV and EPRT
P_FTP_DATA_PASV_LO=12151
P_FTP_DATA_PASV_HI=12152
P_FTP_DATA_PORT=12153     # the client's listening port for PORT
P_FTP_DATA_EPRT=12154     # ... and for EPRT

log() { printf '[record] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (tcpdump needs it, and apt-get may be needed)"

# RECORD_ONLY=cleartext: record only the cleartext-authentication set
# (http-auth-curl, smtp-auth, ftp-rejected, pop3-imap-auth, redis-auth, mqtt-auth) and
# write only their oracles; every other capture is left untouched.
RECORD_ONLY="${RECORD_ONLY:-}"
case "$RECORD_ONLY" in
    "") ;;
    cleartext|ftpdata|content|h2ccontent|mailcontent|utf16content|nntp|brzstd|grpc|grpcmessages|identity|saml|radius|tacacs|syslog|proxy|socks|websocket|mqttws|stomp) RECORD_SSH=0; RECORD_PG=0 ;;
    *) die "RECORD_ONLY=$RECORD_ONLY: unknown set (known: cleartext, ftpdata, content, h2ccontent, mailcontent, utf16content, nntp, brzstd, grpc, grpcmessages, identity, saml, radius, tacacs, syslog, proxy, socks, websocket, mqttws, stomp)" ;;
esac

# ------------------------------------------------------------ housekeeping
WORK="$(mktemp -d /tmp/plainsight-captures.XXXXXX)"
PIDS=()
MADE_RUN_SSHD=0
MADE_POLICY=0
PG_CTL=""            # set while our private PostgreSQL server runs
PG_DATA=""
PG_WORK=""
RABBIT_WORK=""       # set while our private RabbitMQ node runs
cleanup() {
    local p
    if [ -n "$RABBIT_WORK" ]; then stop_rabbitmq; fi
    if [ -n "$PG_CTL" ]; then
        runuser -u postgres -- "$PG_CTL" -D "$PG_DATA" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [ -n "$PG_WORK" ]; then rm -rf "$PG_WORK"; fi
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
have gnutls-cli || pkgs+=(gnutls-bin)   # + libgnutls30, for the 3DES connection
have runuser  || pkgs+=(util-linux)
have brotli   || pkgs+=(brotli)         # content-br-zstd.pcap's br body
have zstd     || pkgs+=(zstd)           # ... and its zstd body
[ -x "$PY" ]  || pkgs+=(python3)
pymod pyftpdlib || pkgs+=(python3-pyftpdlib)
pymod aiosmtpd  || pkgs+=(python3-aiosmtpd)
pymod h2        || pkgs+=(python3-h2)        # h2c-curl.pcap and h2c-content.pcap servers
pymod grpc      || pkgs+=(python3-grpcio)    # grpc-gzip.pcap
pymod flask     || pkgs+=(python3-flask)     # http-identity.pcap
pymod saml2     || pkgs+=(python3-pysaml2)   # saml-post.pcap (pulls in xmlsec1)
pymod OpenSSL   || pkgs+=(python3-openssl)   # pyftpdlib's TLS_FTPHandler (ftp-rejected.pcap)
pymod cryptography || pkgs+=(python3-cryptography)  # radius.pcap's MS-CHAPv2 request (DES)
pymod pip       || pkgs+=(python3-pip)       # installs tacacs_plus (PyPI) for tacacs.pcap
pymod six       || pkgs+=(python3-six)       # tacacs_plus's one dependency
pymod websockets || pkgs+=(python3-websockets)  # websocket.pcap, mqtt-websocket.pcap
pymod paho      || pkgs+=(python3-paho-mqtt)  # mqtt-websocket.pcap
pymod stomp     || pkgs+=(python3-stomp)     # stomp-rabbitmq.pcap
if [ "${#pkgs[@]}" -gt 0 ]; then
    # shellcheck disable=SC2207
    pkgs=($(printf '%s\n' "${pkgs[@]}" | sort -u))
    apt_install "${pkgs[@]}"
fi
for t in tcpdump tshark dumpcap capinfos openssl curl ss ip timeout gnutls-cli runuser brotli zstd; do
    have "$t" || die "$t is still missing"
done
pymod pyftpdlib || die "python module pyftpdlib missing for $PY"
pymod aiosmtpd  || die "python module aiosmtpd missing for $PY"
pymod OpenSSL   || die "python module OpenSSL (pyopenssl) missing for $PY"
pymod cryptography || die "python module cryptography missing for $PY"
pymod pip       || die "python module pip missing for $PY"
pymod six       || die "python module six missing for $PY"

# SSH is optional (RECORD_SSH=0 skips it); skipped too if openssh-server
# cannot be installed. Installing openssh-server must not start a system sshd
# (it would listen on every interface), so where no policy-rc.d exists one that
# forbids service starts is put in place for the duration of the install only.
# apt_install_nostart PKG...: apt_install with service starts forbidden
apt_install_nostart() {
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        MADE_POLICY=1
        printf '#!/bin/sh\n# temporary, from PlainSight Captures/record.sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
    fi
    apt_install "$@" || true
    if [ "$MADE_POLICY" -eq 1 ]; then
        rm -f /usr/sbin/policy-rc.d
        MADE_POLICY=0
    fi
}
WANT_SSH="${RECORD_SSH:-1}"
if [ "$WANT_SSH" = 1 ] && { [ ! -x /usr/sbin/sshd ] || ! have ssh || ! have ssh-keygen; }; then
    apt_install_nostart openssh-server openssh-client
fi
if [ "$WANT_SSH" = 1 ] && { [ ! -x /usr/sbin/sshd ] || ! have ssh || ! have ssh-keygen; }; then
    log "openssh not available: ssh-openssh.pcap will not be recorded"
    WANT_SSH=0
fi

# PostgreSQL is optional too (RECORD_PG=0 skips starttls-postgres.pcap). The
# Debian package creates a "main" cluster; with service starts forbidden during
# the install it is not started. The capture uses a private server of its own.
WANT_PG="${RECORD_PG:-1}"
pg_bindir() {   # newest installed server version
    find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1
}
if [ "$WANT_PG" = 1 ] && { [ -z "$(pg_bindir)" ] || ! have psql || ! id postgres >/dev/null 2>&1; }; then
    apt_install_nostart postgresql postgresql-client
fi
if [ "$WANT_PG" = 1 ] && { [ -z "$(pg_bindir)" ] || ! have psql || ! id postgres >/dev/null 2>&1; }; then
    log "PostgreSQL not available: starttls-postgres.pcap will not be recorded"
    WANT_PG=0
fi

# MQTT is optional (RECORD_MQTT=0 skips mqtt-auth.pcap): a private foreground
# mosquitto (the package does not start a service here; the no-start policy
# keeps it so elsewhere) and mosquitto_pub.
WANT_MQTT="${RECORD_MQTT:-1}"
if [ "$WANT_MQTT" = 1 ] && { ! have mosquitto || ! have mosquitto_pub || ! have mosquitto_passwd; }; then
    apt_install_nostart mosquitto mosquitto-clients
fi
if [ "$WANT_MQTT" = 1 ] && { ! have mosquitto || ! have mosquitto_pub || ! have mosquitto_passwd; }; then
    log "mosquitto not available: mqtt-auth.pcap will not be recorded"
    WANT_MQTT=0
fi

# Redis is optional (RECORD_REDIS=0 skips redis-auth.pcap). Installing
# redis-server must not start the system service (it would listen on 6379),
# hence the same no-start policy as for sshd; the capture runs a private
# foreground redis-server of its own.
WANT_REDIS="${RECORD_REDIS:-1}"
if [ "$WANT_REDIS" = 1 ] && { ! have redis-server || ! have redis-cli; }; then
    apt_install_nostart redis-server redis-tools
fi
if [ "$WANT_REDIS" = 1 ] && { ! have redis-server || ! have redis-cli; }; then
    log "redis not available: redis-auth.pcap will not be recorded"
    WANT_REDIS=0
fi

# FreeRADIUS for radius.pcap. Installing freeradius must not start the system
# service (it would listen on 1812/1813 on every address, and its inner-tunnel
# site on 127.0.0.1:18120, radius.pcap's port), hence the no-start policy; the
# capture runs a private foreground server of its own (record_radius).
if ! have freeradius || ! have radtest || ! have radclient; then
    apt_install_nostart freeradius freeradius-utils
fi
for t in freeradius radtest radclient; do
    have "$t" || die "$t is still missing (Debian packages freeradius, freeradius-utils)"
done

# rsyslog (and its RELP modules) for syslog.pcap, installed without starting
# the system service; the capture runs two private foreground daemons.
RSYSLOG_MODULES=/usr/lib/x86_64-linux-gnu/rsyslog
if ! have rsyslogd || [ ! -f "$RSYSLOG_MODULES/omrelp.so" ] || ! have logger; then
    apt_install_nostart rsyslog rsyslog-relp bsdutils
fi
have rsyslogd || die "rsyslogd is still missing (Debian package rsyslog)"
[ -f "$RSYSLOG_MODULES/omrelp.so" ] || die "rsyslog's RELP modules are still missing (Debian package rsyslog-relp)"

# tinyproxy for proxy-connect.pcap, without its system service (it would
# listen on 8888); the capture runs a private foreground one.
have tinyproxy || apt_install_nostart tinyproxy
have tinyproxy || die "tinyproxy is still missing (Debian package tinyproxy)"
# Dante's SOCKS server for socks-tunnels.pcap, likewise (its service would read /etc/danted.conf).
have danted || apt_install_nostart dante-server
have danted || die "danted is still missing (Debian package dante-server)"

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

# ------------------------------------------------------------------- oracles
# write_oracles: oracle/FILE.json for every capture recorded by this run
write_oracles() {
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
        for p in "$P_TLS10" "$P_TLS11" "$P_WEAK_NULL" "$P_WEAK_3DES" "$P_WEAK_RSA" \
                 "$P_WEAK_ADH" "$P_WEAK_MD5" "$P_HRR" "$P_CERT_EXPIRED" "$P_CERT_WEAK" \
                 "$P_CERT_WRONGSNI" "$P_CERT_VALID"; do
            echo "decode_as_entry: tcp.port,$p,(none),TLS"
        done
        # STARTTLS: tshark follows the upgrade once the cleartext protocol is known
        echo "decode_as_entry: tcp.port,$P_STARTTLS_SMTP,(none),SMTP"
        echo "decode_as_entry: tcp.port,$P_STARTTLS_IMAP,(none),IMAP"
        echo "decode_as_entry: tcp.port,$P_STARTTLS_POP3,(none),POP"
        echo "decode_as_entry: tcp.port,$P_FTP_TLS,(none),FTP"
        echo "decode_as_entry: tcp.port,$P_PGSQL,(none),PGSQL"
        # cleartext authentication set
        echo "decode_as_entry: tcp.port,$P_HTTP_AUTH,(none),HTTP"
        echo "decode_as_entry: tcp.port,$P_SMTP_AUTH,(none),SMTP"
        echo "decode_as_entry: tcp.port,$P_FTP_REJECT,(none),FTP"
        echo "decode_as_entry: tcp.port,$P_FTP_FEAT,(none),FTP"
        echo "decode_as_entry: tcp.port,$P_POP3_SASL,(none),POP"
        echo "decode_as_entry: tcp.port,$P_IMAP_AUTH,(none),IMAP"
        echo "decode_as_entry: tcp.port,$P_REDIS,(none),RESP"
        echo "decode_as_entry: tcp.port,$P_MQTT,(none),MQTT"
        echo "decode_as_entry: tcp.port,$P_H2C,(none),HTTP2"
        echo "decode_as_entry: tcp.port,$P_H2C_CONTENT,(none),HTTP2"
        echo "decode_as_entry: tcp.port,$P_MAIL_SMTP,(none),SMTP"
        echo "decode_as_entry: tcp.port,$P_MAIL_POP3,(none),POP"
        echo "decode_as_entry: tcp.port,$P_MAIL_IMAP,(none),IMAP"
        echo "decode_as_entry: tcp.port,$P_UTF16_HTTP,(none),HTTP"
        echo "decode_as_entry: tcp.port,$P_UTF16_TDS,(none),TDS"
        echo "decode_as_entry: tcp.port,$P_NNTP,(none),NNTP"
        echo "decode_as_entry: tcp.port,$P_COMPRESSED,(none),HTTP"
        echo "decode_as_entry: tcp.port,$P_GRPC,(none),HTTP2"
        echo "decode_as_entry: tcp.port,$P_GRPC_PLAIN,(none),HTTP2"
        echo "decode_as_entry: tcp.port,$P_GRPC_WEB,(none),HTTP"
        echo "decode_as_entry: tcp.port,$P_IDENTITY,(none),HTTP"
        echo "decode_as_entry: tcp.port,$P_SAML,(none),HTTP"
        echo "decode_as_entry: tcp.port,$P_SAML_IDP,(none),HTTP"
        echo "decode_as_entry: tcp.port,$P_FTP_DATA,(none),FTP"
        echo "decode_as_entry: udp.port,$P_RADIUS,(none),RADIUS"
        echo "decode_as_entry: udp.port,$P_RADIUS_ACCT,(none),RADIUS"
        echo "decode_as_entry: tcp.port,$P_TACACS,(none),TACACS+"
        echo "decode_as_entry: tcp.port,$P_TACACS_CLEAR,(none),TACACS+"
        echo "decode_as_entry: udp.port,$P_SYSLOG_UDP,(none),Syslog"
        for p in "$P_SYSLOG_TCP" "$P_SYSLOG_TCP_LF" "$P_SYSLOG_RELP"; do
            echo "decode_as_entry: tcp.port,$p,(none),Syslog"
        done
        echo "decode_as_entry: tcp.port,$P_PROXY,(none),HTTP"
        echo "decode_as_entry: tcp.port,$P_PROXY_TLS,(none),TLS"
        echo "decode_as_entry: tcp.port,$P_PROXY_HTTP,(none),HTTP"
        echo "decode_as_entry: tcp.port,$P_SOCKS,(none),Socks"
        echo "decode_as_entry: tcp.port,$P_SOCKS_TLS,(none),TLS"
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
}

# print_summary: one line per capture recorded by this run
print_summary() {
log "done: ${#RECORDED[@]} captures in $OUT"
for f in "${RECORDED[@]}"; do
    printf '[record]   %-26s %7s bytes  %s\n' "$f" "$(stat -c %s "$OUT/$f")" \
        "$(capinfos -T -r -c -E "$OUT/$f" | awk -F'\t' '{print $3" packets, link type "$2}')" >&2
done
}

# ------------------------------------------------------------ TLS (openssl)
log "generating a throwaway self-signed RSA-2048 certificate"
openssl req -x509 -newkey rsa:2048 -nodes -days 30 \
    -keyout "$WORK/key.pem" -out "$WORK/cert.pem" \
    -subj "/O=PlainSight test/CN=plainsight.test" \
    -addext "subjectAltName=DNS:plainsight.test" >/dev/null 2>&1
SELF_CERT="-cert $WORK/cert.pem -key $WORK/key.pem"

# port_filter PORT...: "port A or port B ..."
port_filter() {
    local f="" p
    for p in "$@"; do f="${f:+$f or }port $p"; done
    printf '%s' "$f"
}

# py_session FILE PORT SERVER-CMD CLIENT-CMD [SERVER-ARGS...]: one helper
# server on PORT, one run of the helper client, recorded with 'port PORT'
py_session() {
    local file="$1" port="$2" scmd="$3" ccmd="$4" srv
    shift 4
    log "recording $file ($scmd / $ccmd on 127.0.0.1:$port)"
    port_free tcp "$port"
    start_bg "$scmd" "$PY" "$HELPERS" "$scmd" "$port" "$@"
    srv=$BG_PID
    wait_listen tcp "$port"
    start_capture "$file" lo "port $port"
    timeout 30 "$PY" "$HELPERS" "$ccmd" "$port" >"$WORK/$ccmd.log" 2>&1 ||
        { cat "$WORK/$ccmd.log" >&2; die "$ccmd failed"; }
    stop_capture "$file"
    stop_pid "$srv"
}

# run_client NAME PORT: run helper client NAME once against PORT (log in $WORK)
run_client() {
    timeout 30 "$PY" "$HELPERS" "$1" "$2" >"$WORK/$1-$2.log" 2>&1 ||
        { cat "$WORK/$1-$2.log" >&2; die "$1 failed"; }
}

# py_sessions FILE SERVER-CMD:CLIENT-CMD:PORT...: every helper server on its
# port, then one run of each helper client in turn, all recorded into FILE
py_sessions() {
    local file="$1" pair s c port srvs=() ports=()
    shift
    for pair in "$@"; do ports+=("${pair##*:}"); done
    port_free tcp "${ports[@]}"
    for pair in "$@"; do
        IFS=: read -r s c port <<<"$pair"
        start_bg "$s" "$PY" "$HELPERS" "$s" "$port"; srvs+=("$BG_PID")
    done
    for port in "${ports[@]}"; do wait_listen tcp "$port"; done
    start_capture "$file" lo "$(port_filter "${ports[@]}")"
    for pair in "$@"; do
        IFS=: read -r s c port <<<"$pair"
        run_client "$c" "$port"
    done
    stop_capture "$file"
    for pair in "${srvs[@]}"; do stop_pid "$pair"; done
}

# ------------------------------------------- cleartext authentication set
# Credentials sent in clear (accepted and refused) on plain connections, each
# file on its own ports. Recorded by a full run and by RECORD_ONLY=cleartext.
record_cleartext_set() {
    local srvs=() p

    # http-auth-curl.pcap: six curl connections to a credential-checking
    # http.server (record_helpers.py http-auth-server); see README
    py_session http-auth-curl.pcap "$P_HTTP_AUTH" http-auth-server http-auth-client
    sed 's/^/[record]   /' "$WORK/http-auth-client.log" >&2

    # h2c-curl.pcap: four curl connections in HTTP/2 without TLS to a
    # credential-checking h2 server (record_helpers.py h2c-auth-server)
    py_session h2c-curl.pcap "$P_H2C" h2c-auth-server h2c-auth-client
    sed 's/^/[record]   /' "$WORK/h2c-auth-client.log" >&2

    # smtp-auth.pcap: aiosmtpd advertising STARTTLS + AUTH; AUTH PLAIN in clear
    # (235) and a mail, then AUTH LOGIN with the wrong password (535)
    py_session smtp-auth.pcap "$P_SMTP_AUTH" smtp-auth-server smtp-auth-client \
        "$WORK/cert.pem" "$WORK/key.pem"
    grep -E "^\(235|^refused" "$WORK/smtp-auth-client.log" | sed 's/^/[record]   /' >&2 || true

    # ftp-rejected.pcap: pyftpdlib; wrong password (530) on one port, and on the
    # other a TLS_FTPHandler whose FEAT lists AUTH TLS, logged into in clear
    log "recording ftp-rejected.pcap (pyftpdlib / ftplib, 127.0.0.1:$P_FTP_REJECT and :$P_FTP_FEAT)"
    port_free tcp "$P_FTP_REJECT" "$P_FTP_FEAT" $(seq "$P_FTP_AUTH_PASV_LO" "$P_FTP_AUTH_PASV_HI")
    mkdir -p "$WORK/ftproot-auth"
    printf 'PlainSight FTP test file.\nNothing secret in here.\n' >"$WORK/ftproot-auth/readme.txt"
    start_bg ftp-reject-server "$PY" "$HELPERS" ftp-server "$P_FTP_REJECT" \
        "$P_FTP_AUTH_PASV_LO" "$P_FTP_AUTH_PASV_HI" "$WORK/ftproot-auth"; srvs+=("$BG_PID")
    start_bg ftp-feat-server "$PY" "$HELPERS" ftp-server "$P_FTP_FEAT" \
        "$P_FTP_AUTH_PASV_LO" "$P_FTP_AUTH_PASV_HI" "$WORK/ftproot-auth" \
        "$WORK/cert.pem" "$WORK/key.pem"; srvs+=("$BG_PID")
    wait_listen tcp "$P_FTP_REJECT"
    wait_listen tcp "$P_FTP_FEAT"
    start_capture ftp-rejected.pcap lo "$(port_filter "$P_FTP_REJECT" "$P_FTP_FEAT")"
    run_client ftp-rejected-client "$P_FTP_REJECT"
    run_client ftp-feat-client "$P_FTP_FEAT"
    stop_capture ftp-rejected.pcap
    for p in "${srvs[@]}"; do stop_pid "$p"; done
    srvs=()

    # pop3-imap-auth.pcap: scripted servers; POP3 CAPA + AUTH PLAIN, IMAP
    # AUTHENTICATE PLAIN, IMAP LOGIN with the wrong password
    log "recording pop3-imap-auth.pcap (POP3 SASL :$P_POP3_SASL, IMAP AUTHENTICATE/LOGIN :$P_IMAP_AUTH)"
    port_free tcp "$P_POP3_SASL" "$P_IMAP_AUTH"
    start_bg pop3-sasl-server "$PY" "$HELPERS" pop3-sasl-server "$P_POP3_SASL"; srvs+=("$BG_PID")
    start_bg imap-auth-server "$PY" "$HELPERS" imap-auth-server "$P_IMAP_AUTH"; srvs+=("$BG_PID")
    wait_listen tcp "$P_POP3_SASL"
    wait_listen tcp "$P_IMAP_AUTH"
    start_capture pop3-imap-auth.pcap lo "$(port_filter "$P_POP3_SASL" "$P_IMAP_AUTH")"
    run_client pop3-sasl-client "$P_POP3_SASL"
    run_client imap-auth-client "$P_IMAP_AUTH"
    stop_capture pop3-imap-auth.pcap
    for p in "${srvs[@]}"; do stop_pid "$p"; done
    srvs=()

    # redis-auth.pcap: a private foreground redis-server (127.0.0.1 only, no
    # persistence, requirepass); redis-cli with the right and a wrong password
    if [ "$WANT_REDIS" = 1 ]; then
        log "recording redis-auth.pcap (redis-server requirepass / redis-cli, 127.0.0.1:$P_REDIS)"
        port_free tcp "$P_REDIS"
        mkdir -p "$WORK/redis"
        start_bg redis-server redis-server --bind 127.0.0.1 --port "$P_REDIS" \
            --requirepass demo-password --protected-mode yes --daemonize no \
            --save "" --appendonly no --dir "$WORK/redis" --logfile ""
        srvs+=("$BG_PID")
        wait_listen tcp "$P_REDIS"
        start_capture redis-auth.pcap lo "port $P_REDIS"
        timeout 20 redis-cli -h 127.0.0.1 -p "$P_REDIS" -a demo-password --no-auth-warning PING \
            >"$WORK/redis-cli-ok.log" 2>&1 || true
        timeout 20 redis-cli -h 127.0.0.1 -p "$P_REDIS" -a wrong-password --no-auth-warning PING \
            >"$WORK/redis-cli-wrong.log" 2>&1 || true
        stop_capture redis-auth.pcap
        for p in "${srvs[@]}"; do stop_pid "$p"; done
        srvs=()
        sed 's/^/[record]   redis-cli (right password): /' "$WORK/redis-cli-ok.log" >&2
        sed 's/^/[record]   redis-cli (wrong password): /' "$WORK/redis-cli-wrong.log" >&2
        grep -qx PONG "$WORK/redis-cli-ok.log" || die "redis-cli with the right password got no PONG"
        grep -q WRONGPASS "$WORK/redis-cli-wrong.log" || die "redis-cli with a wrong password got no WRONGPASS"
    fi

    # mqtt-auth.pcap: a private foreground mosquitto (127.0.0.1 only, no
    # anonymous clients, one user in a password file); mosquitto_pub as
    # MQTT 5 (with CONNECT properties), 3.1.1 and 3.1 (with a will), right
    # and wrong passwords
    if [ "$WANT_MQTT" = 1 ]; then
        log "recording mqtt-auth.pcap (mosquitto password_file / mosquitto_pub, 127.0.0.1:$P_MQTT)"
        port_free tcp "$P_MQTT"
        mkdir -p "$WORK/mqtt"
        mosquitto_passwd -b -c "$WORK/mqtt/passwd" plant demo-password >/dev/null 2>&1
        chmod 644 "$WORK/mqtt/passwd"
        printf '%s\n' "listener $P_MQTT 127.0.0.1" "allow_anonymous false" \
            "password_file $WORK/mqtt/passwd" "persistence false" "log_dest stderr" >"$WORK/mqtt/mosquitto.conf"
        start_bg mosquitto mosquitto -c "$WORK/mqtt/mosquitto.conf"
        srvs+=("$BG_PID")
        wait_listen tcp "$P_MQTT"
        start_capture mqtt-auth.pcap lo "port $P_MQTT"
        local pub=(timeout 10 mosquitto_pub -h 127.0.0.1 -p "$P_MQTT" -t plant/line-3/temp -m 21.5 -u plant)
        "${pub[@]}" -V mqttv5 -i gw-v5 -P demo-password -D connect session-expiry-interval 60 \
            -D connect user-property site lyon >"$WORK/mqtt-v5.log" 2>&1 || die "mosquitto_pub (MQTT 5, right password) failed"
        "${pub[@]}" -V mqttv311 -i gw-v311 -P wrong-password >"$WORK/mqtt-v311.log" 2>&1 \
            && die "mosquitto_pub (3.1.1, wrong password) was accepted"
        "${pub[@]}" -V mqttv31 -i gw-v31 -P demo-password --will-topic plant/gw-v31/state --will-payload offline \
            >"$WORK/mqtt-v31.log" 2>&1 || die "mosquitto_pub (3.1, right password) failed"
        "${pub[@]}" -V mqttv5 -i gw-v5-bad -P wrong-password >"$WORK/mqtt-v5-bad.log" 2>&1 \
            && die "mosquitto_pub (MQTT 5, wrong password) was accepted"
        stop_capture mqtt-auth.pcap
        for p in "${srvs[@]}"; do stop_pid "$p"; done
        srvs=()
    fi
}

# record_only SET FUNCTION: with RECORD_ONLY=SET, record that set alone and stop
record_only() {
    if [ "$RECORD_ONLY" = "$1" ]; then
        "$2"
        write_oracles
        print_summary
        exit 0
    fi
}

# ftp-data.pcap: pyftpdlib; the same file downloaded over a passive (PASV),
# an active (PORT), an extended passive (EPSV) and an extended active (EPRT)
# data connection; the capture keeps the control and the data connections.
record_ftp_data() {
    local srv
    log "recording ftp-data.pcap (pyftpdlib / ftplib, 127.0.0.1:$P_FTP_DATA)"
    port_free tcp "$P_FTP_DATA" $(seq "$P_FTP_DATA_PASV_LO" "$P_FTP_DATA_PASV_HI") "$P_FTP_DATA_PORT" "$P_FTP_DATA_EPRT"
    mkdir -p "$WORK/ftproot-data"
    printf 'PlainSight FTP data test file.\nNothing secret in here.\n' >"$WORK/ftproot-data/readme.txt"
    start_bg ftp-data-server "$PY" "$HELPERS" ftp-server "$P_FTP_DATA" \
        "$P_FTP_DATA_PASV_LO" "$P_FTP_DATA_PASV_HI" "$WORK/ftproot-data"; srv=$BG_PID
    wait_listen tcp "$P_FTP_DATA"
    start_capture ftp-data.pcap lo "tcp and portrange $P_FTP_DATA-$P_FTP_DATA_EPRT"
    timeout 30 "$PY" "$HELPERS" ftp-data-client "$P_FTP_DATA" "$P_FTP_DATA_PORT" "$P_FTP_DATA_EPRT" \
        >"$WORK/ftp-data-client.log" 2>&1 || { cat "$WORK/ftp-data-client.log" >&2; die "ftp-data-client failed"; }
    stop_capture ftp-data.pcap
    stop_pid "$srv"
}

record_only cleartext record_cleartext_set
# content-http.pcap: fake PII and secrets over HTTP (record_helpers.py content-server)
record_content() {
    py_session content-http.pcap "$P_CONTENT" content-server content-client
}

record_only content record_content
# h2c-content.pcap: the same fake data over HTTP/2 in clear (record_helpers.py h2c-content-server)
record_h2c_content() {
    py_session h2c-content.pcap "$P_H2C_CONTENT" h2c-content-server h2c-content-client
}

record_only h2ccontent record_h2c_content
# mail-content.pcap: one MIME mail with the same fake data (record_helpers.py
# content_mail: an X-Deploy-Token header, a quoted-printable text part, a base64
# attachment) sent with SMTP DATA, read back with POP3 RETR and IMAP FETCH
# BODY[], and stored again with IMAP APPEND; scripted servers, python clients
record_mail_content() {
    log "recording mail-content.pcap (SMTP DATA :$P_MAIL_SMTP, POP3 RETR :$P_MAIL_POP3, IMAP FETCH/APPEND :$P_MAIL_IMAP)"
    py_sessions mail-content.pcap mail-smtp-server:mail-smtp-client:"$P_MAIL_SMTP" \
        mail-pop3-server:mail-pop3-client:"$P_MAIL_POP3" mail-imap-server:mail-imap-client:"$P_MAIL_IMAP"
    # the servers compared what they were sent with the mail as built
    grep -q "^DATA: .*the mail as built" "$WORK/mail-smtp-server.log" || die "SMTP DATA: not the mail as built"
    grep -q "^APPEND: .*the mail as built" "$WORK/mail-imap-server.log" || die "IMAP APPEND: not the mail as built"
    cat "$WORK/mail-smtp-server.log" "$WORK/mail-imap-server.log" | sed 's/^/[record]   /' >&2
}

record_only mailcontent record_mail_content
# utf16-content.pcap: fake PII and secrets in UTF-16LE text (record_helpers.py
# utf16_export, tds_sql_batch, tds_result): curl downloads an Excel "Unicode
# Text" export (BOM FF FE, tab-separated) from a python http.server handler, and
# a scripted TDS client sends a SQL batch to a scripted TDS server, which
# answers one result row. There is no SQL Server here: both TDS ends are python.
record_utf16_content() {
    log "recording utf16-content.pcap (HTTP GET :$P_UTF16_HTTP, TDS SQL batch :$P_UTF16_TDS)"
    py_sessions utf16-content.pcap utf16-http-server:utf16-http-client:"$P_UTF16_HTTP" tds-server:tds-client:"$P_UTF16_TDS"
    # the TDS server compared the batch with the one built; the clients checked what they got
    grep -q "^SQL batch: .*the query as built" "$WORK/tds-server.log" || die "TDS: not the SQL batch as built"
    cat "$WORK/utf16-http-client-$P_UTF16_HTTP.log" "$WORK/tds-server.log" "$WORK/tds-client-$P_UTF16_TDS.log" |
        sed 's/^/[record]   /' >&2
}

record_only utf16content record_utf16_content
# nntp-python.pcap: a scripted news server (record_helpers.py NNTPHandler) and
# nntplib: AUTHINFO refused (481), then accepted (381, 281), ARTICLE 1 (the
# mail-content mail as the article) and POST of the same article
record_nntp() {
    log "recording nntp-python.pcap (nntplib against a scripted NNTP server on :$P_NNTP)"
    py_sessions nntp-python.pcap nntp-server:nntp-client:"$P_NNTP"
    grep -q "^POST: .*the mail as built" "$WORK/nntp-server.log" || die "NNTP POST: not the mail as built"
    cat "$WORK/nntp-server.log" "$WORK/nntp-client-$P_NNTP.log" | sed 's/^/[record]   /' >&2
}

record_only nntp record_nntp
# content-br-zstd.pcap: the content-http values in bodies compressed with br
# and zstd (record_helpers.py compressed-server), fetched by curl --compressed
record_br_zstd() {
    py_session content-br-zstd.pcap "$P_COMPRESSED" compressed-server compressed-client
    grep -q "^decoded by curl" "$WORK/compressed-client.log" || die "curl did not decode the br and zstd bodies"
}

record_only brzstd record_br_zstd
# grpc-gzip.pcap: one gRPC call in clear (h2c) with gzip-compressed messages
# (record_helpers.py grpc-server, grpc-client on python's grpcio)
record_grpc() {
    py_session grpc-gzip.pcap "$P_GRPC" grpc-server grpc-client
    grep -q "^decoded by grpcio" "$WORK/grpc-client.log" || die "gRPC: not the reply as built"
}

record_only grpc record_grpc
# grpc-messages.pcap: a gRPC call without compression whose request's GitHub
# token straddles two DATA frames (python's grpcio server, an h2 client), and a
# gRPC-Web text call over HTTP/1.1 (curl posts it as grpc-web's JavaScript
# client does, a python server answers as a proxy would; record_helpers.py)
record_grpc_messages() {
    py_sessions grpc-messages.pcap grpc-plain-server:grpc-plain-client:"$P_GRPC_PLAIN" \
        grpc-web-server:grpc-web-client:"$P_GRPC_WEB"
    grep -q "^decoded by the client" "$WORK/grpc-plain-client-$P_GRPC_PLAIN.log" || die "gRPC: not the reply as built"
    grep -q "^decoded by the client" "$WORK/grpc-web-client-$P_GRPC_WEB.log" || die "gRPC-Web: not the reply as built"
}

record_only grpcmessages record_grpc_messages
# http-identity.pcap: a Flask application's session cookie (base64url JSON)
# and an authenticating proxy's X-MS-CLIENT-PRINCIPAL (base64 JSON), curl
# as the browser behind the proxy (record_helpers.py flask-server, flask-client)
record_identity() {
    py_session http-identity.pcap "$P_IDENTITY" flask-server flask-client
    grep -q "^answered: the account as built" "$WORK/flask-client.log" || die "Flask: not the account as built"
}

record_only identity record_identity
# saml-post.pcap: single sign-on and single logout behind load balancers that
# end TLS, every hop in clear, pysaml2 on both sides and curl as the browser:
# the service provider's AuthnRequest (redirect binding, signed), the identity
# provider's auto-submitting page (a signed response and assertion in base64:
# the user's e-mail address and SSN), the form posted to the service provider,
# then its LogoutRequest (redirect binding: the NameID) and the identity
# provider's LogoutResponse (record_helpers.py saml-*)
record_saml() {
    local sp idp
    log "recording saml-post.pcap (pysaml2 IdP :$P_SAML_IDP, SP :$P_SAML, curl as the browser)"
    port_free tcp "$P_SAML" "$P_SAML_IDP"
    TMPDIR="$WORK" start_bg saml-sp-server "$PY" "$HELPERS" saml-sp-server "$P_SAML"; sp=$BG_PID
    TMPDIR="$WORK" start_bg saml-idp-server "$PY" "$HELPERS" saml-idp-server "$P_SAML_IDP" "$P_SAML"; idp=$BG_PID
    wait_listen tcp "$P_SAML"
    wait_listen tcp "$P_SAML_IDP"
    start_capture saml-post.pcap lo "$(port_filter "$P_SAML_IDP" "$P_SAML")"
    timeout 30 "$PY" "$HELPERS" saml-browser "$P_SAML_IDP" "$P_SAML" >"$WORK/saml-browser.log" 2>&1 ||
        { cat "$WORK/saml-browser.log" >&2; die "saml-browser failed"; }
    stop_capture saml-post.pcap
    stop_pid "$idp"
    stop_pid "$sp"
    grep -q "^answered: the assertion as built" "$WORK/saml-browser.log" || die "SAML: not the answer as built"
    grep -q "^logged out: " "$WORK/saml-browser.log" || die "SAML: not the logout as built"
}

record_only saml record_saml

# radius_client NAME REPLY CMD...: one RADIUS client invocation (its own UDP
# source port), output in $WORK/radius-NAME.log; dies unless it received REPLY
# (radtest exits 1 on an Access-Reject, so the exit code says nothing)
radius_client() {
    local name="$1" reply="$2"; shift 2
    timeout 30 "$@" >"$WORK/radius-$name.log" 2>&1 || true
    grep -q "^Received $reply Id " "$WORK/radius-$name.log" ||
        { cat "$WORK/radius-$name.log" >&2; die "RADIUS $name: no $reply"; }
}

# radius_sent NAME / radius_received NAME: the attributes radclient printed as
# sent / as received (radtest adds Cleartext-Password for radclient's own use;
# it is not sent)
radius_sent() { sed -n '/^Sent /,/^Received /p' "$WORK/radius-$1.log" | grep -v "Cleartext-Password"; }
radius_received() { sed -n '/^Received /,$p' "$WORK/radius-$1.log"; }

# radius.pcap: RADIUS over UDP, a private foreground FreeRADIUS 3.2 (Debian's
# binaries, -X) from a copy of /etc/freeradius/3.0 under $WORK with a site of
# its own (127.0.0.1:18120 and :18121 only), one client (127.0.0.1, shared
# secret radius-demo-secret, never on the wire) and two users with
# Cleartext-Password. Each exchange is one client invocation: radtest PAP
# accepted, PAP with a wrong password rejected, CHAP, MS-CHAP (radtest -t
# mschap sends MS-CHAPv1); radclient with an MS-CHAPv2 request computed by
# record_helpers.py mschapv2-request; radclient PAP with a
# Message-Authenticator and the same without one; an Accounting-Request Start
# and Stop on the accounting port.
record_radius() {
    local rdir="$WORK/radius" raddb="$WORK/radius/raddb" secret=radius-demo-secret srv n
    local server="127.0.0.1:$P_RADIUS" acct_server="127.0.0.1:$P_RADIUS_ACCT"
    log "recording radius.pcap (FreeRADIUS $(freeradius -v 2>/dev/null | sed -n 's/^radiusd: FreeRADIUS Version \([0-9.]*\).*/\1/p'), radtest / radclient, 127.0.0.1:$P_RADIUS and :$P_RADIUS_ACCT udp)"
    port_free udp "$P_RADIUS" "$P_RADIUS_ACCT"
    mkdir -p "$rdir/run" "$rdir/log"
    cp -a /etc/freeradius/3.0 "$raddb"
    # The copy's own paths instead of /etc/freeradius/3.0, /var/log/freeradius
    # and /var/run/freeradius; no proxying (its listener binds every address);
    # no switch to the freerad user, who could not read the copy in $WORK
    # (mode 700): the server runs as root, like the other private servers here.
    sed -i -e "s|^raddbdir = .*|raddbdir = $raddb|" -e "s|^logdir = .*|logdir = $rdir/log|" \
        -e "s|^run_dir = .*|run_dir = $rdir/run|" -e "s|^proxy_requests *=.*|proxy_requests = no|" \
        -e "s/^\([[:space:]]*\)\(user\|group\) = freerad\$/\1#\2 = freerad/" "$raddb/radiusd.conf"
    grep -Eq "^[[:space:]]*(user|group) =" "$raddb/radiusd.conf" && die "FreeRADIUS copy: user/group still set"
    for n in "raddbdir = $raddb" "logdir = $rdir/log" "run_dir = $rdir/run" "proxy_requests = no"; do
        grep -qx "$n" "$raddb/radiusd.conf" || die "FreeRADIUS copy: radiusd.conf has no line '$n'"
    done
    # The stock sites listen on every address (1812, 1813) and inner-tunnel on
    # 127.0.0.1:18120; the eap module wants the snakeoil certificate and
    # inner-tunnel. The capture needs neither: one site of its own instead.
    rm -f "$raddb"/sites-enabled/* "$raddb/mods-enabled/eap"
    # require_message_authenticator = no (the stock value for localhost): the
    # PAP request without a Message-Authenticator is accepted.
    cat >"$raddb/clients.conf" <<EOF
# PlainSight Captures/record.sh: the only client, the loopback NAS
client plainsight-nas {
	ipaddr = 127.0.0.1
	secret = $secret
	require_message_authenticator = no
	nas_type = other
}
EOF
    # "users" is a link to this file
    cat >"$raddb/mods-config/files/authorize" <<'EOF'
# PlainSight Captures/record.sh: two fake users
"dana.whitfield@corp-mail.io"	Cleartext-Password := "demo-password"
"jsmith"	Cleartext-Password := "Summer2026!"
EOF
    # FreeRADIUS 3.2.1 puts no Message-Authenticator in these replies of its
    # own (an Access-Accept to a signed PAP request is 20 bytes); post-auth
    # adds one to every answer to a request that had one, so the file holds
    # signed and unsigned replies. Accounting goes to a detail file in $rdir.
    cat >"$raddb/sites-enabled/plainsight" <<EOF
# PlainSight Captures/record.sh: authentication and accounting on 127.0.0.1 only
server plainsight {
	listen {
		type = auth
		ipaddr = 127.0.0.1
		port = $P_RADIUS
	}
	listen {
		type = acct
		ipaddr = 127.0.0.1
		port = $P_RADIUS_ACCT
	}
	authorize {
		preprocess
		chap
		mschap
		files
		pap
	}
	authenticate {
		Auth-Type PAP {
			pap
		}
		Auth-Type CHAP {
			chap
		}
		Auth-Type MS-CHAP {
			mschap
		}
	}
	preacct {
		preprocess
		acct_unique
	}
	accounting {
		detail
	}
	post-auth {
		if (&request:Message-Authenticator) {
			update reply {
				&Message-Authenticator := 0x00
			}
		}
		Post-Auth-Type REJECT {
			attr_filter.access_reject
			if (&request:Message-Authenticator) {
				update reply {
					&Message-Authenticator := 0x00
				}
			}
		}
	}
}
EOF
    start_bg freeradius freeradius -f -X -d "$raddb"; srv=$BG_PID
    wait_listen udp "$P_RADIUS"
    wait_listen udp "$P_RADIUS_ACCT"
    wait_log "$WORK/freeradius.log" "Ready to process requests"
    "$PY" "$HELPERS" mschapv2-request jsmith 'Summer2026!' "$rdir/mschapv2.expect" >"$rdir/mschapv2.in" ||
        die "mschapv2-request failed"
    start_capture radius.pcap lo "udp and ($(port_filter "$P_RADIUS" "$P_RADIUS_ACCT"))"
    radius_client pap-accept Access-Accept \
        radtest -t pap dana.whitfield@corp-mail.io demo-password "$server" 0 "$secret"
    radius_client pap-reject Access-Reject radtest -t pap jsmith wrong-password "$server" 0 "$secret"
    radius_client chap Access-Accept radtest -t chap jsmith 'Summer2026!' "$server" 0 "$secret"
    radius_client mschap Access-Accept radtest -t mschap jsmith 'Summer2026!' "$server" 0 "$secret"
    radius_client mschapv2 Access-Accept radclient -x "$server" auth "$secret" <"$rdir/mschapv2.in"
    printf '%s\n' 'User-Name = "jsmith"' 'User-Password = "Summer2026!"' 'NAS-IP-Address = 127.0.0.1' \
        'NAS-Port = 0' 'Message-Authenticator = 0x00' >"$rdir/pap-signed.in"
    radius_client pap-signed Access-Accept radclient -x "$server" auth "$secret" <"$rdir/pap-signed.in"
    grep -v Message-Authenticator "$rdir/pap-signed.in" >"$rdir/pap-unsigned.in"
    radius_client pap-unsigned Access-Accept radclient -x "$server" auth "$secret" <"$rdir/pap-unsigned.in"
    printf '%s\n' 'User-Name = "dana.whitfield@corp-mail.io"' 'Acct-Session-Id = "5F3A9C21-00000001"' \
        'Framed-IP-Address = 10.20.30.40' 'Calling-Station-Id = "02-00-5e-10-20-30"' \
        'NAS-IP-Address = 127.0.0.1' 'NAS-Port = 0' >"$rdir/acct-session.in"
    { cat "$rdir/acct-session.in"; echo 'Acct-Status-Type = Start'; } >"$rdir/acct-start.in"
    { cat "$rdir/acct-session.in"; printf '%s\n' 'Acct-Status-Type = Stop' 'Acct-Session-Time = 1800' \
        'Acct-Input-Octets = 1048576' 'Acct-Output-Octets = 524288' 'Acct-Terminate-Cause = User-Request'; } \
        >"$rdir/acct-stop.in"
    radius_client acct-start Accounting-Response radclient -x "$acct_server" acct "$secret" <"$rdir/acct-start.in"
    radius_client acct-stop Accounting-Response radclient -x "$acct_server" acct "$secret" <"$rdir/acct-stop.in"
    stop_capture radius.pcap
    stop_pid "$srv"
    # what was sent and answered: radtest signs every request (it adds
    # Message-Authenticator = 0x00), radtest -t mschap is MS-CHAPv1
    for n in pap-accept pap-reject chap mschap pap-signed; do
        radius_sent "$n" | grep "Message-Authenticator" >/dev/null || die "RADIUS $n: request without Message-Authenticator"
        radius_received "$n" | grep "Message-Authenticator = 0x" >/dev/null || die "RADIUS $n: reply without Message-Authenticator"
    done
    for n in mschapv2 pap-unsigned; do
        radius_sent "$n" | grep "Message-Authenticator" >/dev/null && die "RADIUS $n: request with a Message-Authenticator"
        radius_received "$n" | grep "Message-Authenticator" >/dev/null && die "RADIUS $n: reply with a Message-Authenticator"
    done
    radius_sent mschap | grep "MS-CHAP-Response = 0x" >/dev/null || die "RADIUS mschap: radtest sent no MS-CHAP-Response"
    radius_received mschap | grep "MS-CHAP-MPPE-Keys = 0x" >/dev/null || die "RADIUS mschap: no MS-CHAP-MPPE-Keys"
    radius_received mschapv2 | grep -xF "$(sed 's/^/\t/' "$rdir/mschapv2.expect")" >/dev/null ||
        die "RADIUS mschapv2: not the MS-CHAP2-Success computed for the request"
    grep -rq "Acct-Status-Type = Stop" "$rdir/log/radacct" || die "RADIUS accounting: no Stop in the detail file"
    # one request and one answer per exchange (no retransmission)
    n="$(tshark -r "$OUT/radius.pcap" -d "udp.port==$P_RADIUS,radius" -d "udp.port==$P_RADIUS_ACCT,radius" \
        -Y radius 2>/dev/null | wc -l)"
    [ "$n" -eq 18 ] || die "radius.pcap: $n RADIUS packets, not 9 requests and 9 answers"
    for n in pap-accept pap-reject chap mschap mschapv2 pap-signed pap-unsigned acct-start acct-stop; do
        printf '[record]   %-12s %s\n' "$n" "$(grep -E '^(Sent|Received) ' "$WORK/radius-$n.log" |
            sed -E 's/^[A-Za-z]+ ([A-Za-z-]+) Id ([0-9]+) from [0-9.]+:([0-9]+) .* length ([0-9]+)$/\1 (id \2, port \3, \4 bytes)/' |
            paste -sd ' ' | sed 's/) /) -> /')" >&2
    done
}

record_only radius record_radius

# tacacs_plus 2.6, tacacs.pcap's TACACS+ client library, is on PyPI only
# (Debian has no package of it). pip installs that very wheel (pinned by its
# hash; --no-deps: its one dependency, six, is Debian's python3-six) into the
# work directory, which is removed at exit, and only tacacs-client is given it
# (PYTHONPATH): nothing is installed on the system, no pip cache is written.
TACACS_PLUS_REQ="tacacs_plus==2.6 --hash=sha256:55aa4e733b0c4366cf5ab2d36deb03729466554319b239b9221b509b256128ff"
tacacs_plus_install() {
    log "pip install --target $WORK/tacacs-lib tacacs_plus==2.6 (PyPI)"
    printf '%s\n' "$TACACS_PLUS_REQ" >"$WORK/tacacs-requirements.txt"
    "$PY" -m pip install -q --no-cache-dir --disable-pip-version-check --root-user-action=ignore \
        --no-deps --only-binary :all: --require-hashes --target "$WORK/tacacs-lib" \
        -r "$WORK/tacacs-requirements.txt" >"$WORK/pip-tacacs.log" 2>&1 ||
        { cat "$WORK/pip-tacacs.log" >&2; die "pip could not install tacacs_plus 2.6"; }
    PYTHONPATH="$WORK/tacacs-lib" "$PY" -c "import tacacs_plus.client" ||
        die "tacacs_plus does not import from $WORK/tacacs-lib"
}

# tacacs_client NAME PORT MODE [KEY]: one run of record_helpers.py
# tacacs-client (its exchanges, one TCP connection each) with the library,
# output in $WORK/tacacs-NAME.log
tacacs_client() {
    local name="$1"; shift
    PYTHONPATH="$WORK/tacacs-lib" timeout 30 "$PY" "$HELPERS" tacacs-client "$@" >"$WORK/tacacs-$name.log" 2>&1 ||
        { cat "$WORK/tacacs-$name.log" >&2; die "tacacs-client $name failed"; }
}

# tacacs_expect NAME LINE...: dies unless client NAME printed exactly these
# lines (one per exchange: the answer it decoded)
tacacs_expect() {
    local name="$1"; shift
    printf '%s\n' "$@" | diff - "$WORK/tacacs-$name.log" >&2 ||
        die "TACACS+ $name: not the answers expected (diff above: - expected, + printed)"
}

# tacacs.pcap: TACACS+ (RFC 8907) over TCP, the python tacacs_plus library
# 2.6 as the client (one connection per exchange) and a TACACS+ server of
# record_helpers.py (tacacs-server; Debian has none): on 18149 with the key
# tacacs-demo-key, on 18150 without a key. Users netadmin (privilege 15) and
# jsmith (1). A (18149, key): ASCII login of netadmin (START, GETPASS,
# CONTINUE with the password, PASS); PAP login of jsmith with a wrong
# password (FAIL); authorization of "show running-config" for netadmin at
# privilege 15 (PASS_ADD); accounting START and STOP of it (SUCCESS). B
# (18149, secret=None and TAC_PLUS_UNENCRYPTED_FLAG set in every request by
# the client, the server answering in clear with the flag): the same five
# exchanges. C (18150, secret=None as the library ships: bodies in clear, no
# flag): an ASCII login of jsmith with the right password (PASS).
record_tacacs() {
    local key=tacacs-demo-key srv clear n p full
    log "recording tacacs.pcap (tacacs_plus 2.6 against record_helpers.py tacacs-server, 127.0.0.1:$P_TACACS (key) and :$P_TACACS_CLEAR (no key))"
    port_free tcp "$P_TACACS" "$P_TACACS_CLEAR"
    tacacs_plus_install
    start_bg tacacs-server "$PY" "$HELPERS" tacacs-server "$P_TACACS" "$key"; srv=$BG_PID
    start_bg tacacs-server-clear "$PY" "$HELPERS" tacacs-server "$P_TACACS_CLEAR" -; clear=$BG_PID
    wait_listen tcp "$P_TACACS"
    wait_listen tcp "$P_TACACS_CLEAR"
    start_capture tacacs.pcap lo "tcp and ($(port_filter "$P_TACACS" "$P_TACACS_CLEAR"))"
    tacacs_client key "$P_TACACS" key "$key"
    tacacs_client flag "$P_TACACS" flag
    tacacs_client none "$P_TACACS_CLEAR" none
    stop_capture tacacs.pcap
    stop_pid "$srv"
    stop_pid "$clear"
    # what the client decoded of each answer (it checks each reply's header
    # and lengths, and reads an obfuscated reply with its key)
    full=("authen ascii netadmin: PASS" "authen pap jsmith: FAIL"
          "author netadmin service=shell cmd=show cmd-arg=running-config: PASS_ADD"
          "acct START netadmin: SUCCESS" "acct STOP netadmin: SUCCESS")
    tacacs_expect key "${full[@]}"
    tacacs_expect flag "${full[@]}"
    tacacs_expect none "authen ascii jsmith: PASS"
    # how the servers read the requests: A's six obfuscated, B's six in clear
    # with the flag, C's two in clear without it; nothing malformed
    [ "$(grep -c ' flags 0x00 obfuscated: ' "$WORK/tacacs-server.log")" -eq 6 ] ||
        die "TACACS+: the keyed server did not read 6 obfuscated requests"
    [ "$(grep -c ' flags 0x01 in clear: ' "$WORK/tacacs-server.log")" -eq 6 ] ||
        die "TACACS+: the keyed server did not read 6 requests with the unencrypted flag"
    [ "$(grep -c ' flags 0x00 in clear: ' "$WORK/tacacs-server-clear.log")" -eq 2 ] ||
        die "TACACS+: the server without a key did not read 2 requests without the flag"
    grep -q "malformed" "$WORK/tacacs-server.log" "$WORK/tacacs-server-clear.log" &&
        die "TACACS+: a server found a malformed request"
    # on the wire: 28 TACACS+ packets (14 requests, 14 answers), B's 12 with
    # the flag; each password sent in clear (B's CONTINUE and PAP START, C's
    # CONTINUE) appears exactly once, so A's obfuscated ones do not
    n="$(tshark -r "$OUT/tacacs.pcap" -d "tcp.port==$P_TACACS,tacplus" -d "tcp.port==$P_TACACS_CLEAR,tacplus" \
        -Y tacplus 2>/dev/null | wc -l)"
    [ "$n" -eq 28 ] || die "tacacs.pcap: $n TACACS+ packets, not 28"
    n="$(tshark -r "$OUT/tacacs.pcap" -d "tcp.port==$P_TACACS,tacplus" -d "tcp.port==$P_TACACS_CLEAR,tacplus" \
        -Y "tacplus.flags.unencrypted == 1" 2>/dev/null | wc -l)"
    [ "$n" -eq 12 ] || die "tacacs.pcap: $n TACACS+ packets with the unencrypted flag, not 12"
    for p in Tacacs-Admin-2026 Summer2025! Summer2026!; do
        n="$(grep -aoF -- "$p" "$OUT/tacacs.pcap" | wc -l)"
        [ "$n" -eq 1 ] || die "tacacs.pcap: the password $p is $n times in the file, not once"
    done
    cat "$WORK/tacacs-server.log" "$WORK/tacacs-server-clear.log" | sed 's/^/[record]   /' >&2
}

record_only tacacs record_tacacs

# syslog.pcap: util-linux logger sends two messages (RFC 5424 and RFC 3164)
# over UDP to a private rsyslogd, which forwards the user facility to a second
# private rsyslogd three ways: TCP with octet counting (RFC 5424 template),
# TCP with LF framing (its default, traditional template) and RELP. The first
# message carries a fake card number and a password typed into a log line.
SYSLOG_CARD="4917 6182 9034 5522"
record_syslog() {
    local rs="$WORK/rsyslog" recv send n name
    log "recording syslog.pcap ($(rsyslogd -v | sed -n '1s/^rsyslogd *\([0-9.]*\).*/rsyslogd \1/p'), logger, 127.0.0.1:$P_SYSLOG_UDP udp, :$P_SYSLOG_TCP, :$P_SYSLOG_TCP_LF, :$P_SYSLOG_RELP tcp)"
    port_free udp "$P_SYSLOG_UDP"
    port_free tcp "$P_SYSLOG_TCP" "$P_SYSLOG_TCP_LF" "$P_SYSLOG_RELP"
    mkdir -p "$rs/recv" "$rs/send"
    # No imuxsock or imklog: neither daemon touches /dev/log or the kernel log.
    cat >"$rs/recv.conf" <<EOF
global(workDirectory="$rs/recv")
module(load="imtcp")
module(load="imrelp")
input(type="imtcp" address="127.0.0.1" port="$P_SYSLOG_TCP" name="tcp-octet-counted")
input(type="imtcp" address="127.0.0.1" port="$P_SYSLOG_TCP_LF" name="tcp-lf")
input(type="imrelp" address="127.0.0.1" port="$P_SYSLOG_RELP" name="relp")
template(name="received" type="string" string="%inputname% %syslogtag%%msg%\n")
user.* action(type="omfile" file="$rs/received.log" template="received")
EOF
    cat >"$rs/send.conf" <<EOF
global(workDirectory="$rs/send")
module(load="imudp")
module(load="omrelp")
input(type="imudp" address="127.0.0.1" port="$P_SYSLOG_UDP")
user.* action(type="omfwd" target="127.0.0.1" port="$P_SYSLOG_TCP" protocol="tcp" TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
user.* action(type="omfwd" target="127.0.0.1" port="$P_SYSLOG_TCP_LF" protocol="tcp")
user.* action(type="omrelp" target="127.0.0.1" port="$P_SYSLOG_RELP")
EOF
    start_bg rsyslog-recv rsyslogd -n -f "$rs/recv.conf" -i "$rs/recv.pid"; recv=$BG_PID
    wait_listen tcp "$P_SYSLOG_TCP"
    wait_listen tcp "$P_SYSLOG_TCP_LF"
    wait_listen tcp "$P_SYSLOG_RELP"
    start_capture syslog.pcap lo "$(port_filter "$P_SYSLOG_UDP" "$P_SYSLOG_TCP" "$P_SYSLOG_TCP_LF" "$P_SYSLOG_RELP")"
    start_bg rsyslog-send rsyslogd -n -f "$rs/send.conf" -i "$rs/send.pid"; send=$BG_PID
    wait_listen udp "$P_SYSLOG_UDP"
    sleep 0.5
    logger -d -n 127.0.0.1 -P "$P_SYSLOG_UDP" -t billing \
        "charge declined for card $SYSLOG_CARD exp 09/28 user=dana.whitfield password=Winter-Harbor-2026"
    logger -d -n 127.0.0.1 -P "$P_SYSLOG_UDP" --rfc3164 -t sshd \
        "Accepted publickey for deploy from 10.0.4.7 port 50522 ssh2"
    # every message through every input before the sender stops
    for _ in $(seq 1 100); do
        [ "$(grep -c . "$rs/received.log" 2>/dev/null || true)" -ge 6 ] && break
        sleep 0.1
    done
    stop_pid "$send"
    sleep 0.5
    stop_capture syslog.pcap
    stop_pid "$recv"
    for name in tcp-octet-counted tcp-lf relp; do
        n="$(grep -c "^$name billing.*card $SYSLOG_CARD" "$rs/received.log" || true)"
        [ "$n" -eq 1 ] || die "syslog: the receiver got the billing message $n times over $name, not once"
        n="$(grep -c "^$name sshd.*Accepted publickey" "$rs/received.log" || true)"
        [ "$n" -eq 1 ] || die "syslog: the receiver got the sshd message $n times over $name, not once"
    done
    # on the wire: the card once per hop (one UDP datagram, three TCP streams)
    n="$(grep -aoF -- "$SYSLOG_CARD" "$OUT/syslog.pcap" | wc -l)"
    [ "$n" -eq 4 ] || die "syslog.pcap: the card is $n times in the file, not 4"
    sed 's/^/[record]   received: /' "$rs/received.log" >&2
}

record_only syslog record_syslog

# proxy-connect.pcap: curl through a private tinyproxy (BasicAuth) three times:
# 1. CONNECT with a wrong proxy password (401); 2. CONNECT with the right one,
# then TLS 1.2 with AES128-SHA (RSA key exchange, CBC) to openssl s_server -www
# with the throwaway self-signed certificate, SNI plainsight.test (curl
# --connect-to: the CONNECT names 127.0.0.1); 3. CONNECT (curl --proxytunnel),
# then plain HTTP to python's http.server: a JSON file with a fake SSN. The
# proxy's own connections to both servers are recorded too: the handshake
# seen in the tunnel can be compared with the same one seen directly.
PROXY_PASSWORD=Pr0xy-Pass-2026
PROXY_SSN=536-22-8741
record_proxy() {
    local tp="$WORK/tinyproxy" proxy web tls code
    log "recording proxy-connect.pcap ($(tinyproxy -v), curl, openssl s_server :$P_PROXY_TLS, python http.server :$P_PROXY_HTTP, proxy on 127.0.0.1:$P_PROXY)"
    port_free tcp "$P_PROXY" "$P_PROXY_TLS" "$P_PROXY_HTTP"
    mkdir -p "$tp/www"
    cat >"$tp/tinyproxy.conf" <<EOF
Port $P_PROXY
Listen 127.0.0.1
Timeout 30
MaxClients 10
LogLevel Info
BasicAuth proxyuser $PROXY_PASSWORD
DisableViaHeader Yes
EOF
    printf '{"customer": "Dana Whitfield", "ssn": "%s", "plan": "gold"}\n' "$PROXY_SSN" >"$tp/www/account.json"
    start_bg tinyproxy tinyproxy -d -c "$tp/tinyproxy.conf"; proxy=$BG_PID
    start_bg proxy-web "$PY" -m http.server "$P_PROXY_HTTP" --bind 127.0.0.1 --directory "$tp/www"; web=$BG_PID
    # shellcheck disable=SC2086
    start_bg "s_server-$P_PROXY_TLS" openssl s_server -accept "127.0.0.1:$P_PROXY_TLS" $SELF_CERT -www -naccept 1 \
        -tls1_2 -cipher AES128-SHA:@SECLEVEL=0; tls=$BG_PID
    wait_listen tcp "$P_PROXY"
    wait_listen tcp "$P_PROXY_HTTP"
    wait_listen tcp "$P_PROXY_TLS"
    start_capture proxy-connect.pcap lo "tcp and ($(port_filter "$P_PROXY" "$P_PROXY_TLS" "$P_PROXY_HTTP"))"
    code="$(curl -s -o /dev/null -w '%{http_connect}' -x "http://proxyuser:wrong-password@127.0.0.1:$P_PROXY" \
        --cacert "$WORK/cert.pem" --connect-to "plainsight.test:$P_PROXY_TLS:127.0.0.1:$P_PROXY_TLS" \
        "https://plainsight.test:$P_PROXY_TLS/" || true)"
    # tinyproxy answers a refused proxy login with 401, not RFC 9110's 407
    [ "$code" = 401 ] || die "proxy: CONNECT with a wrong password answered $code, not 401"
    code="$(curl -s -o "$tp/tls-page.html" -w '%{http_connect} %{http_code}' \
        -x "http://proxyuser:$PROXY_PASSWORD@127.0.0.1:$P_PROXY" --cacert "$WORK/cert.pem" \
        --connect-to "plainsight.test:$P_PROXY_TLS:127.0.0.1:$P_PROXY_TLS" "https://plainsight.test:$P_PROXY_TLS/")"
    [ "$code" = "200 200" ] || die "proxy: the TLS request through the tunnel answered '$code', not '200 200'"
    grep -q "Cipher is AES128-SHA" "$tp/tls-page.html" || die "proxy: s_server did not report AES128-SHA"
    curl -s --proxytunnel -x "http://proxyuser:$PROXY_PASSWORD@127.0.0.1:$P_PROXY" \
        "http://127.0.0.1:$P_PROXY_HTTP/account.json" >"$tp/account.out"
    grep -q "\"ssn\": \"$PROXY_SSN\"" "$tp/account.out" || die "proxy: the account did not come through the tunnel"
    stop_capture proxy-connect.pcap
    stop_pid "$proxy"
    stop_pid "$web"
    stop_pid "$tls"
    grep -E "CONNECT|Authentication|Established" "$WORK/tinyproxy.log" | sed 's/^/[record]   tinyproxy: /' >&2 || true
}

record_only proxy record_proxy

# socks-tunnels.pcap: curl through a private danted (Dante 1.4, SOCKS5 without
# authentication, and SOCKS4) to openssl s_server -www (TLS 1.3, the throwaway
# certificate): 1. --socks5 with --connect-to: CONNECT to 127.0.0.1 (ATYP 1),
# SNI plainsight.test; 2. --socks5-hostname: CONNECT to the name localhost
# (ATYP 3), SNI localhost (-k: the certificate names plainsight.test);
# 3. --socks4 with --connect-to: a SOCKS4 CONNECT to 127.0.0.1 (danted's rules
# match addresses, so SOCKS4a's names are refused: not recorded). The proxy's
# own connections to the server are recorded too.
record_socks() {
    local dt="$WORK/dante" socks tls code
    log "recording socks-tunnels.pcap ($(danted -v | sed -n '1s/^\(Dante v[0-9.]*[0-9]\).*/\1/p'), curl, openssl s_server :$P_SOCKS_TLS, proxy on 127.0.0.1:$P_SOCKS)"
    port_free tcp "$P_SOCKS" "$P_SOCKS_TLS"
    mkdir -p "$dt"
    cat >"$dt/danted.conf" <<EOF
logoutput: $dt/danted.log
internal: 127.0.0.1 port = $P_SOCKS
external: 127.0.0.1
socksmethod: none
clientmethod: none
user.privileged: root
user.unprivileged: nobody
client pass {
    from: 127.0.0.1/32 to: 0.0.0.0/0
    log: connect disconnect error
}
socks pass {
    from: 127.0.0.1/32 to: 127.0.0.0/8
    command: connect
    log: connect disconnect error
}
EOF
    danted -V -f "$dt/danted.conf" || die "danted rejects its configuration"
    start_bg danted danted -f "$dt/danted.conf" -p "$dt/danted.pid"; socks=$BG_PID
    # shellcheck disable=SC2086
    start_bg "s_server-$P_SOCKS_TLS" openssl s_server -accept "127.0.0.1:$P_SOCKS_TLS" $SELF_CERT -www -naccept 3; tls=$BG_PID
    wait_listen tcp "$P_SOCKS"
    wait_listen tcp "$P_SOCKS_TLS"
    start_capture socks-tunnels.pcap lo "tcp and ($(port_filter "$P_SOCKS" "$P_SOCKS_TLS"))"
    code="$(curl -s -o /dev/null -w '%{http_code}' --socks5 "127.0.0.1:$P_SOCKS" --cacert "$WORK/cert.pem" \
        --connect-to "plainsight.test:$P_SOCKS_TLS:127.0.0.1:$P_SOCKS_TLS" "https://plainsight.test:$P_SOCKS_TLS/")"
    [ "$code" = 200 ] || die "socks: the request through the tunnel by address answered $code, not 200"
    code="$(curl -s -o /dev/null -w '%{http_code}' -k --socks5-hostname "127.0.0.1:$P_SOCKS" "https://localhost:$P_SOCKS_TLS/")"
    [ "$code" = 200 ] || die "socks: the request through the tunnel by name answered $code, not 200"
    code="$(curl -s -o /dev/null -w '%{http_code}' --socks4 "127.0.0.1:$P_SOCKS" --cacert "$WORK/cert.pem" \
        --connect-to "plainsight.test:$P_SOCKS_TLS:127.0.0.1:$P_SOCKS_TLS" "https://plainsight.test:$P_SOCKS_TLS/")"
    [ "$code" = 200 ] || die "socks: the request through the SOCKS4 tunnel answered $code, not 200"
    stop_capture socks-tunnels.pcap
    stop_pid "$socks"
    stop_pid "$tls"
    [ "$(grep -c "pass(1): tcp/connect \[" "$dt/danted.log")" -eq 3 ] || die "socks: danted did not pass 3 CONNECTs"
    grep "tcp/connect \[" "$dt/danted.log" | sed 's/^.*info: /[record]   danted: /' >&2 || true
}

record_only socks record_socks
# websocket.pcap: a shop page's WebSocket (python3-websockets 10 on both
# sides, record_helpers.py websocket-*) over three connections: permessage-
# deflate with context takeover (the libraries' default), no compression,
# and no_context_takeover both ways; each sends a checkout with a fake card
# (twice: the second refers back into the first), a fragmented message whose
# GitHub token two fragments cut, a binary message with an e-mail address, a
# ping and a deploy request; the server answers with the SSN and an AWS key id.
# Then chromium (headless) loads the server's shop page, whose script sends a
# checkout and, once answered, a deploy request over a fourth connection.
record_websocket() {
    local srv sandbox=()
    log "recording websocket.pcap (websocket-server, websocket-client and chromium on 127.0.0.1:$P_WEBSOCKET)"
    command -v chromium >/dev/null || apt_install chromium
    [ "$(id -u)" -eq 0 ] && sandbox=(--no-sandbox)  # as root chromium refuses its sandbox
    port_free tcp "$P_WEBSOCKET"
    start_bg websocket-server "$PY" "$HELPERS" websocket-server "$P_WEBSOCKET"; srv=$BG_PID
    wait_listen tcp "$P_WEBSOCKET"
    start_capture websocket.pcap lo "port $P_WEBSOCKET"
    run_client websocket-client "$P_WEBSOCKET"
    # The browser loads the page, whose script uses the socket; it may not
    # resolve names nor fetch anything of its own (background networking off).
    timeout 30 chromium --headless "${sandbox[@]}" --disable-gpu --disable-dev-shm-usage --no-first-run \
        --no-default-browser-check --disable-background-networking --disable-component-update --disable-sync \
        --disable-extensions --user-data-dir="$WORK/chromium-profile" --host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE 127.0.0.1" \
        --virtual-time-budget=5000 --dump-dom "http://127.0.0.1:$P_WEBSOCKET/" >"$WORK/chromium.log" 2>&1 || true
    sleep 1
    stop_capture websocket.pcap
    stop_pid "$srv"
    [ "$(grep -c "answered as built" "$WORK/websocket-client-$P_WEBSOCKET.log")" -eq 3 ] || die "WebSocket: not the answers as built"
    grep -q "^browser: deploy" "$WORK/websocket-server.log" || die "WebSocket: the browser did not get the customer record"
    grep -q "answered: AKIA" "$WORK/chromium.log" || die "WebSocket: the browser did not get the key id"
}

record_only websocket record_websocket
# mqtt-websocket.pcap: MQTT over WebSocket (subprotocol `mqtt`), as a browser
# dashboard or a device behind a proxy logs in: paho-mqtt 1.6 (transport
# "websockets", MQTT 3.1.1) with the wrong password (CONNACK 5), then the
# right one and a reading published at QoS 1 (the badge holder's e-mail
# address), to a broker written in record_helpers.py (Debian's mosquitto 2.0
# has no WebSocket listener) that checks the password.
record_mqtt_ws() {
    py_session mqtt-websocket.pcap "$P_MQTT_WS" mqtt-ws-server mqtt-ws-client
    grep -q "right password: rc 0" "$WORK/mqtt-ws-client.log" || die "MQTT over WebSocket: not the answers as built"
}

record_only mqttws record_mqtt_ws
# stomp-rabbitmq.pcap: a private RabbitMQ 3.10 (Debian `rabbitmq-server`,
# installed without starting its service; run here in the foreground as the
# `rabbitmq` user with a node, configuration and data of its own, every
# listener on 127.0.0.1, epmd too) with its STOMP and Web STOMP plugins and a
# user of its own; record_helpers.py stomp-client logs in over each with the
# wrong password (ERROR) and the right one, then sends a message (a card
# number over STOMP, an SSN over Web STOMP). The broker is stopped after.
record_stomp() {
    local dir srv i
    log "recording stomp-rabbitmq.pcap (RabbitMQ STOMP :$P_STOMP and Web STOMP :$P_WEB_STOMP, stomp.py and websockets)"
    have rabbitmq-server || apt_install_nostart rabbitmq-server
    port_free tcp "$P_STOMP" "$P_WEB_STOMP" "$P_RABBIT_AMQP" "$P_RABBIT_DIST" 4369
    # Outside $WORK, which only root may enter: the node runs as `rabbitmq`.
    dir="$(mktemp -d /tmp/plainsight-rabbitmq.XXXXXX)"
    RABBIT_WORK="$dir"
    printf '%s\n' "listeners.tcp.default = 127.0.0.1:$P_RABBIT_AMQP" "stomp.listeners.tcp.1 = 127.0.0.1:$P_STOMP" \
        "web_stomp.tcp.ip = 127.0.0.1" "web_stomp.tcp.port = $P_WEB_STOMP" >"$dir/rabbitmq.conf"
    echo "[rabbitmq_stomp,rabbitmq_web_stomp]." >"$dir/enabled_plugins"
    chown -R rabbitmq:rabbitmq "$dir"
    local env=(env HOME="$dir" ERL_EPMD_ADDRESS=127.0.0.1 RABBITMQ_NODENAME=plainsight@localhost
        RABBITMQ_CONFIG_FILE="$dir/rabbitmq" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
        RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" RABBITMQ_DIST_PORT="$P_RABBIT_DIST"
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}")
    start_bg rabbitmq "${env[@]}" rabbitmq-server; srv=$BG_PID
    for i in $(seq 1 120); do
        [ -n "$(ss -Hlnt "sport = :$P_WEB_STOMP" 2>/dev/null)" ] && [ -n "$(ss -Hlnt "sport = :$P_STOMP" 2>/dev/null)" ] && break
        sleep 0.5
    done
    wait_listen tcp "$P_WEB_STOMP"
    "${env[@]}" rabbitmqctl add_user orders-app 'St0mp-Orders-2026' >"$WORK/rabbitmqctl.log" 2>&1 || die "rabbitmqctl add_user failed"
    "${env[@]}" rabbitmqctl set_permissions -p / orders-app '.*' '.*' '.*' >>"$WORK/rabbitmqctl.log" 2>&1 ||
        die "rabbitmqctl set_permissions failed"
    start_capture stomp-rabbitmq.pcap lo "$(port_filter "$P_STOMP" "$P_WEB_STOMP")"
    timeout 60 "$PY" "$HELPERS" stomp-client "$P_STOMP" "$P_WEB_STOMP" >"$WORK/stomp-client.log" 2>&1 ||
        { cat "$WORK/stomp-client.log" >&2; die "stomp-client failed"; }
    stop_capture stomp-rabbitmq.pcap
    "${env[@]}" rabbitmqctl stop >>"$WORK/rabbitmqctl.log" 2>&1 || true
    stop_pid "$srv"
    stop_rabbitmq
}

# stop_rabbitmq: whatever our node left running as the `rabbitmq` user (the
# Erlang VM, its helpers, the epmd it started). No other node can have been
# running: record_stomp found 4369, epmd's port, free before starting ours.
stop_rabbitmq() {
    pkill -u rabbitmq 2>/dev/null || true
    sleep 1
    pkill -KILL -u rabbitmq 2>/dev/null || true
    rm -rf "$RABBIT_WORK"
    RABBIT_WORK=""
}

record_only stomp record_stomp
record_only ftpdata record_ftp_data

# tls_server PORT "certificate args" "server args": start openssl s_server on
# 127.0.0.1:PORT for one client (-naccept 1); -rev: it answers each line with
# the line reversed. Waits until it listens; pid in BG_PID.
tls_server() {
    local port="$1" certargs="$2" sargs="$3"
    port_free tcp "$port"
    # shellcheck disable=SC2086
    start_bg "s_server-$port" openssl s_server -accept "127.0.0.1:$port" \
        $certargs -rev -naccept 1 $sargs
    wait_listen tcp "$port"
}

# tls_client PORT SNI CAFILE NLINES "client args": openssl s_client sends one
# or two lines, then EOF (close_notify). Certificate problems do not stop it
# (no -verify_return_error); the verification result is logged.
tls_client() {
    local port="$1" sni="$2" ca="$3" nlines="$4" cargs="$5"
    # shellcheck disable=SC2086
    { printf 'hello from s_client\n'; sleep 0.5
      if [ "$nlines" -ge 2 ]; then printf 'second line, then EOF\n'; sleep 0.5; fi; } |
        timeout 20 openssl s_client -connect "127.0.0.1:$port" -servername "$sni" \
            -CAfile "$ca" -verify_hostname "$sni" $cargs >"$WORK/s_client-$port.log" 2>&1 ||
        { cat "$WORK/s_client-$port.log" >&2; die "s_client failed on port $port"; }
    grep -E "^(New|Protocol|    Cipher|verify error)|Verify return" "$WORK/s_client-$port.log" | awk '!seen[$0]++' |
        sed "s/^ */[record]   $port: /" >&2 || true
}

# tls_session FILE PORT "server args" "client args": one connection with the
# self-signed certificate, two lines each way
tls_session() {
    local file="$1" port="$2" sargs="$3" cargs="$4" srv
    log "recording $file (openssl s_server/s_client on 127.0.0.1:$port)"
    tls_server "$port" "$SELF_CERT" "$sargs"
    srv=$BG_PID
    start_capture "$file" lo "port $port"
    tls_client "$port" plainsight.test "$WORK/cert.pem" 2 "$cargs"
    stop_capture "$file"
    stop_pid "$srv"
}

tls_session tls13-openssl.pcap "$P_TLS13" "" "-tls1_3"
tls_session tls12-openssl.pcap "$P_TLS12" \
    "-tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256" "-tls1_2"

# Old protocol versions: OpenSSL 3.0 allows TLS 1.0/1.1 only at security level 0.
# The client offers its default list (as far as valid for that version); the
# server accepts only the one suite.
tls_session tls10-openssl.pcap "$P_TLS10" \
    "-tls1 -cipher ECDHE-RSA-AES128-SHA:@SECLEVEL=0" "-tls1 -cipher DEFAULT:@SECLEVEL=0"
tls_session tls11-openssl.pcap "$P_TLS11" \
    "-tls1_1 -cipher AES128-SHA:@SECLEVEL=0" "-tls1_1 -cipher DEFAULT:@SECLEVEL=0"

# TLS 1.3 HelloRetryRequest: the client sends a key share for X25519 only (its
# first group); the server accepts only P-256, so it asks again.
tls_session tls13-hrr-openssl.pcap "$P_HRR" "-tls1_3 -groups P-256" "-tls1_3 -groups X25519:P-256"
if ! tshark -r "$OUT/tls13-hrr-openssl.pcap" -d "tcp.port==$P_HRR,tls" -Y 'tls.handshake.type == 2' \
        -T fields -e tls.handshake.random 2>/dev/null | tr -d ':' |
        grep -q '^cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c$'; then
    die "tls13-hrr-openssl.pcap: no HelloRetryRequest seen by tshark"
fi

# Weak TLS 1.2 cipher suites, one connection (and port) each. The server
# accepts only the weak suite; the client offers it first, followed by the four
# ECDHE AES-GCM suites. Debian's OpenSSL 3.0 has no 3DES or RC4 TLS suites at
# all (built without weak-ssl-ciphers; the legacy provider does not add them),
# so the 3DES connection is GnuTLS to GnuTLS: gnutls-cli and a small ctypes
# server in record_helpers.py (gnutls-serv cannot be bound to 127.0.0.1 only).
log "recording tls12-weak-ciphers.pcap (NULL-SHA256, DES-CBC3-SHA, AES128-GCM-SHA256, ADH-AES128-GCM-SHA256, NULL-MD5)"
GNUTLS_SERVER_PRIO='NONE:+VERS-TLS1.2:+3DES-CBC:+SHA1:+RSA:+COMP-NULL:+SIGN-ALL:+CTYPE-X509'
GNUTLS_CLIENT_PRIO='NORMAL:-VERS-ALL:+VERS-TLS1.2:+3DES-CBC:+RSA'
WEAK_SRVS=()
tls_server "$P_WEAK_NULL" "$SELF_CERT" "-tls1_2 -cipher NULL-SHA256:@SECLEVEL=0"; WEAK_SRVS+=("$BG_PID")
port_free tcp "$P_WEAK_3DES"
start_bg "gnutls-server-$P_WEAK_3DES" "$PY" "$HELPERS" gnutls-server "$P_WEAK_3DES" \
    "$WORK/cert.pem" "$WORK/key.pem" "$GNUTLS_SERVER_PRIO"; WEAK_SRVS+=("$BG_PID")
wait_listen tcp "$P_WEAK_3DES"
tls_server "$P_WEAK_RSA" "$SELF_CERT" "-tls1_2 -cipher AES128-GCM-SHA256:@SECLEVEL=0"; WEAK_SRVS+=("$BG_PID")
tls_server "$P_WEAK_ADH" "-nocert" "-tls1_2 -cipher ADH-AES128-GCM-SHA256:@SECLEVEL=0"; WEAK_SRVS+=("$BG_PID")
tls_server "$P_WEAK_MD5" "$SELF_CERT" "-tls1_2 -cipher NULL-MD5:@SECLEVEL=0"; WEAK_SRVS+=("$BG_PID")
start_capture tls12-weak-ciphers.pcap lo \
    "$(port_filter "$P_WEAK_NULL" "$P_WEAK_3DES" "$P_WEAK_RSA" "$P_WEAK_ADH" "$P_WEAK_MD5")"
tls_client "$P_WEAK_NULL" plainsight.test "$WORK/cert.pem" 1 "-tls1_2 -cipher NULL-SHA256:ECDHE+AESGCM:@SECLEVEL=0"
{ printf 'hello from gnutls-cli\n'; sleep 0.5; } |
    timeout 20 gnutls-cli -p "$P_WEAK_3DES" --sni-hostname plainsight.test --verify-hostname plainsight.test \
        --x509cafile "$WORK/cert.pem" --priority "$GNUTLS_CLIENT_PRIO" 127.0.0.1 \
        >"$WORK/gnutls-cli-$P_WEAK_3DES.log" 2>&1 ||
    { cat "$WORK/gnutls-cli-$P_WEAK_3DES.log" >&2; die "gnutls-cli failed on port $P_WEAK_3DES"; }
grep -E "^- (Description|Status)" "$WORK/gnutls-cli-$P_WEAK_3DES.log" | sed "s/^/[record]   $P_WEAK_3DES: /" >&2 || true
tls_client "$P_WEAK_RSA" plainsight.test "$WORK/cert.pem" 1 "-tls1_2 -cipher AES128-GCM-SHA256:ECDHE+AESGCM:@SECLEVEL=0"
tls_client "$P_WEAK_ADH" plainsight.test "$WORK/cert.pem" 1 "-tls1_2 -cipher ADH-AES128-GCM-SHA256:ECDHE+AESGCM:@SECLEVEL=0"
tls_client "$P_WEAK_MD5" plainsight.test "$WORK/cert.pem" 1 "-tls1_2 -cipher NULL-MD5:ECDHE+AESGCM:@SECLEVEL=0"
stop_capture tls12-weak-ciphers.pcap
for p in "${WEAK_SRVS[@]}"; do stop_pid "$p"; done

# Certificate problems. A throwaway CA ("PlainSight Test CA", RSA-2048,
# SHA-256, 5 years) issues the leaves; its certificate (never its key) is kept
# as Captures/tls-test-ca.pem so tests can use it as a CA bundle.
log "generating a throwaway test CA and its leaf certificates"
CA="$WORK/ca"
mkdir -p "$CA/newcerts"
: >"$CA/index.txt"
echo 01 >"$CA/serial"      # unused: every certificate gets a random serial (-rand_serial)
cat >"$CA/ca.cnf" <<CNF
# throwaway CA of PlainSight Captures/record.sh
[ req ]
distinguished_name = req_dn
[ req_dn ]
[ ca_ext ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = $CA
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
serial = \$dir/serial
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no
[ policy_any ]
organizationName = supplied
organizationalUnitName = optional
commonName = supplied
[ leaf_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:plainsight.test
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
openssl req -config "$CA/ca.cnf" -x509 -newkey rsa:2048 -nodes -sha256 -days 1826 \
    -keyout "$CA/ca.key" -out "$CA/ca.pem" -extensions ca_ext \
    -subj "/O=PlainSight test/CN=PlainSight Test CA" >"$CA/ca.log" 2>&1 ||
    { cat "$CA/ca.log" >&2; die "could not make the test CA"; }
# leaf NAME BITS OU "openssl ca validity/digest args": key + certificate in $CA
leaf() {
    local name="$1" bits="$2" ou="$3" caargs="$4"
    openssl req -config "$CA/ca.cnf" -new -newkey "rsa:$bits" -nodes \
        -keyout "$CA/$name.key" -out "$CA/$name.csr" \
        -subj "/O=PlainSight test/OU=$ou/CN=plainsight.test" >"$CA/$name.log" 2>&1 ||
        { cat "$CA/$name.log" >&2; die "openssl req failed for $name"; }
    # shellcheck disable=SC2086
    openssl ca -config "$CA/ca.cnf" -batch -notext -rand_serial -extensions leaf_ext \
        -cert "$CA/ca.pem" -keyfile "$CA/ca.key" -in "$CA/$name.csr" -out "$CA/$name.pem" \
        $caargs >>"$CA/$name.log" 2>&1 || { cat "$CA/$name.log" >&2; die "openssl ca failed for $name"; }
}
leaf expired 2048 "expired leaf" "-startdate 20200101000000Z -enddate 20210101000000Z"
leaf weak 1024 "RSA-1024 SHA-1 leaf" "-days 365 -md sha1"
leaf valid 2048 "valid leaf" "-days 365"
# chain_args NAME: s_server sends leaf NAME followed by the CA certificate
chain_args() { printf -- '-cert %s -key %s -cert_chain %s' "$CA/$1.pem" "$CA/$1.key" "$CA/ca.pem"; }

log "recording tls12-bad-certs.pcap (expired, RSA-1024/SHA-1, wrong SNI, valid; chain sent)"
CERT_CIPHER="-tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256"
CERT_SRVS=()
tls_server "$P_CERT_EXPIRED" "$(chain_args expired)" "$CERT_CIPHER"; CERT_SRVS+=("$BG_PID")
# s_server refuses a 1024-bit key at the default security level (2)
tls_server "$P_CERT_WEAK" "$(chain_args weak)" "$CERT_CIPHER:@SECLEVEL=0"; CERT_SRVS+=("$BG_PID")
tls_server "$P_CERT_WRONGSNI" "$(chain_args valid)" "$CERT_CIPHER"; CERT_SRVS+=("$BG_PID")
tls_server "$P_CERT_VALID" "$(chain_args valid)" "$CERT_CIPHER"; CERT_SRVS+=("$BG_PID")
start_capture tls12-bad-certs.pcap lo \
    "$(port_filter "$P_CERT_EXPIRED" "$P_CERT_WEAK" "$P_CERT_WRONGSNI" "$P_CERT_VALID")"
tls_client "$P_CERT_EXPIRED" plainsight.test "$CA/ca.pem" 1 "-tls1_2"
tls_client "$P_CERT_WEAK" plainsight.test "$CA/ca.pem" 1 "-tls1_2"
tls_client "$P_CERT_WRONGSNI" wrong.plainsight.test "$CA/ca.pem" 1 "-tls1_2"
tls_client "$P_CERT_VALID" plainsight.test "$CA/ca.pem" 1 "-tls1_2"
grep -q "Verify return code: 10 " "$WORK/s_client-$P_CERT_EXPIRED.log" || die "expired certificate not reported as expired"
grep -q "Verify return code: 62 " "$WORK/s_client-$P_CERT_WRONGSNI.log" || die "wrong SNI not reported as a host name mismatch"
grep -q "Verify return code: 0 " "$WORK/s_client-$P_CERT_VALID.log" || die "valid certificate did not verify"
# this recording's CA certificate goes with this recording of tls12-bad-certs.pcap
cp "$CA/ca.pem" "$WORK/tls-test-ca.pem"
stop_capture tls12-bad-certs.pcap
mv -f "$WORK/tls-test-ca.pem" "$OUT/tls-test-ca.pem"
for p in "${CERT_SRVS[@]}"; do stop_pid "$p"; done
chmod 644 "$OUT/tls-test-ca.pem"
log "wrote tls-test-ca.pem (certificate of the throwaway test CA; its key is not kept)"

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
# (py_session is defined above, after the certificate)
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

# ---------------------------------------------------------------- STARTTLS
# Scripted servers (record_helpers.py, Python ssl) and the standard library
# clients (smtplib, imaplib, poplib, ftplib). They use the self-signed
# certificate; the clients verify it and send SNI plainsight.test.

# py_tls_server NAME PORT: start a STARTTLS helper server; pid in BG_PID
py_tls_server() {
    port_free tcp "$2"
    start_bg "$1-$2" "$PY" "$HELPERS" "$1" "$2" "$WORK/cert.pem" "$WORK/key.pem"
    wait_listen tcp "$2"
}

# py_tls_client NAME PORT: run the matching client once
py_tls_client() {
    timeout 30 "$PY" "$HELPERS" "$1" "$2" "$WORK/cert.pem" >"$WORK/$1-$2.log" 2>&1 ||
        { cat "$WORK/$1-$2.log" >&2; die "$1 failed"; }
    grep -E "^TLSv" "$WORK/$1-$2.log" | sed "s/^/[record]   $2: /" >&2 || true
}

log "recording starttls-smtp.pcap (SMTP STARTTLS: scripted server / smtplib on 127.0.0.1:$P_STARTTLS_SMTP)"
py_tls_server starttls-smtp-server "$P_STARTTLS_SMTP"
STARTTLS_PID=$BG_PID
start_capture starttls-smtp.pcap lo "port $P_STARTTLS_SMTP"
py_tls_client starttls-smtp-client "$P_STARTTLS_SMTP"
stop_capture starttls-smtp.pcap
stop_pid "$STARTTLS_PID"

log "recording starttls-mail.pcap (IMAP STARTTLS :$P_STARTTLS_IMAP, POP3 STLS :$P_STARTTLS_POP3, FTP AUTH TLS :$P_FTP_TLS)"
MAIL_SRVS=()
py_tls_server starttls-imap-server "$P_STARTTLS_IMAP"; MAIL_SRVS+=("$BG_PID")
py_tls_server starttls-pop3-server "$P_STARTTLS_POP3"; MAIL_SRVS+=("$BG_PID")
py_tls_server ftp-tls-server "$P_FTP_TLS"; MAIL_SRVS+=("$BG_PID")
start_capture starttls-mail.pcap lo "$(port_filter "$P_STARTTLS_IMAP" "$P_STARTTLS_POP3" "$P_FTP_TLS")"
py_tls_client starttls-imap-client "$P_STARTTLS_IMAP"
py_tls_client starttls-pop3-client "$P_STARTTLS_POP3"
py_tls_client ftp-tls-client "$P_FTP_TLS"
stop_capture starttls-mail.pcap
for p in "${MAIL_SRVS[@]}"; do stop_pid "$p"; done

# -------------------------------------------- cleartext authentication set
record_cleartext_set
record_content
record_h2c_content
record_mail_content
record_utf16_content
record_nntp
record_br_zstd
record_grpc
record_grpc_messages
record_identity
record_saml
record_radius
record_tacacs
record_syslog
record_proxy
record_socks
record_websocket
record_mqtt_ws
record_stomp

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

# ---------------------------------------------------------------- PostgreSQL
# A private PostgreSQL server (Debian's binaries, a fresh data directory in a
# temporary directory owned by postgres) on 127.0.0.1 only, ssl=on with the
# self-signed certificate; psql connects with sslmode=require and SCRAM
# authentication (inside TLS). The set-up uses the Unix socket only, so the
# capture holds just the one TCP connection.
if [ "$WANT_PG" = 1 ]; then
    log "recording starttls-postgres.pcap (PostgreSQL ssl=on, psql sslmode=require, 127.0.0.1:$P_PGSQL)"
    port_free tcp "$P_PGSQL"
    PGBIN="$(pg_bindir)"
    PG_WORK="$(mktemp -d /tmp/plainsight-pg.XXXXXX)"
    chown postgres: "$PG_WORK"
    PG_DATA="$PG_WORK/data"
    runuser -u postgres -- "$PGBIN/initdb" -D "$PG_DATA" -U postgres -A trust -E UTF8 --no-locale \
        >"$WORK/initdb.log" 2>&1 || { cat "$WORK/initdb.log" >&2; die "initdb failed"; }
    install -o postgres -g postgres -m 600 "$WORK/key.pem" "$PG_WORK/server.key"
    install -o postgres -g postgres -m 644 "$WORK/cert.pem" "$PG_WORK/server.crt"
    cat >"$PG_DATA/pg_hba.conf" <<HBA
# PlainSight Captures/record.sh: Unix socket for the set-up, TLS + SCRAM on 127.0.0.1 for the capture
local   all  postgres                trust
hostssl all  demo     127.0.0.1/32   scram-sha-256
HBA
    chown postgres: "$PG_DATA/pg_hba.conf"
    PG_CTL="$PGBIN/pg_ctl"
    runuser -u postgres -- "$PG_CTL" -D "$PG_DATA" -l "$PG_WORK/postgres.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -c port=$P_PGSQL -c unix_socket_directories=$PG_WORK -c ssl=on -c ssl_cert_file=$PG_WORK/server.crt -c ssl_key_file=$PG_WORK/server.key -c password_encryption=scram-sha-256" \
        start >"$WORK/pg_ctl.log" 2>&1 ||
        { cat "$WORK/pg_ctl.log" "$PG_WORK/postgres.log" >&2; die "PostgreSQL did not start"; }
    wait_listen tcp "$P_PGSQL"
    runuser -u postgres -- "$PGBIN/psql" -X -q -h "$PG_WORK" -p "$P_PGSQL" -U postgres -d postgres \
        -c "CREATE ROLE demo LOGIN PASSWORD 'demo-password'" >"$WORK/pg-setup.log" 2>&1 ||
        { cat "$WORK/pg-setup.log" >&2; die "could not create the demo role"; }
    start_capture starttls-postgres.pcap lo "port $P_PGSQL"
    # host= gives the SNI name (libpq sends SNI for host names only), hostaddr= the address
    PGPASSWORD=demo-password timeout 30 "$PGBIN/psql" -X -A -t \
        "host=plainsight.test hostaddr=127.0.0.1 port=$P_PGSQL user=demo dbname=postgres sslmode=require gssencmode=disable application_name=plainsight-capture" \
        -c "select 1" -c "select version, cipher from pg_stat_ssl where pid = pg_backend_pid()" \
        >"$WORK/psql.log" 2>&1 || { cat "$WORK/psql.log" >&2; die "psql failed"; }
    sed 's/^/[record]   psql: /' "$WORK/psql.log" >&2
    stop_capture starttls-postgres.pcap
    runuser -u postgres -- "$PG_CTL" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
    PG_CTL=""
    rm -rf "$PG_WORK"
    PG_WORK=""
fi

# ------------------------------------------------------------------- oracles
write_oracles
print_summary
