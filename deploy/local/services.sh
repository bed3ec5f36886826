#!/usr/bin/env bash
# Private PostgreSQL + Redis for local development of motcua.
#
# Usage: deploy/local/services.sh up|down|status|env
#
#   up      start (if needed) a private PostgreSQL cluster and a private Redis,
#           then print ONLY `export MOTCUA_...=...` lines on stdout, so that
#           `eval "$(deploy/local/services.sh up)"` works. Idempotent.
#   down    stop both private services (idempotent).
#   status  one line per service; exit 0 if both are usable, 3 otherwise.
#   env     print the export lines for the private services that are running.
#
# Data lives in $ROOT/.local/ (pg/data, pg/log, pg/run, redis/).
# Environment:
#   MOTCUA_LOCAL_PG_PORT     (default 55432)  port of the private PostgreSQL
#   MOTCUA_LOCAL_REDIS_PORT  (default 56379)  port of the private Redis
#   MOTCUA_LOCAL_DIR         (default $ROOT/.local)  where data is kept
#   MOTCUA_DATABASE_URL / MOTCUA_REDIS_URL: if set (to anything other than the
#   private URL), the corresponding private service is left alone.
# Both services bind to 127.0.0.1 only; PostgreSQL uses trust auth (no password).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
LOCAL_DIR="${MOTCUA_LOCAL_DIR:-$ROOT/.local}"
PG_PORT="${MOTCUA_LOCAL_PG_PORT:-55432}"
REDIS_PORT="${MOTCUA_LOCAL_REDIS_PORT:-56379}"

PG_DIR="$LOCAL_DIR/pg"
PG_DATA="$PG_DIR/data"
PG_LOGDIR="$PG_DIR/log"
PG_LOGFILE="$PG_LOGDIR/postgresql.log"
PG_RUN="$PG_DIR/run"
PG_PIDFILE="$PG_DATA/postmaster.pid"
PG_DB_USER="motcua"
PG_DB_NAME="motcua"

REDIS_DIR="$LOCAL_DIR/redis"
REDIS_PIDFILE="$REDIS_DIR/redis.pid"
REDIS_LOGFILE="$REDIS_DIR/redis.log"
REDIS_PORTFILE="$REDIS_DIR/redis.port"

PG_BIN=""    # directory holding initdb/pg_ctl
PG_USER=""   # unprivileged OS user running PostgreSQL when we are root
PG_GROUP=""
PG_MANAGED=0     # set to 1 by pg_up / redis_up when the private service is up
REDIS_MANAGED=0

# libpq environment variables must not redirect our own psql/pg_isready calls.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGPASSWORD PGPASSFILE \
      PGSERVICE PGSERVICEFILE PGSSLMODE PGOPTIONS PGDATA PGCONNECT_TIMEOUT \
      PGTARGETSESSIONATTRS 2>/dev/null || true

log() { printf 'services.sh: %s\n' "$*" >&2; }
die() { printf 'services.sh: ERROR: %s\n' "$*" >&2; exit 1; }

pg_url()    { printf 'postgresql+asyncpg://%s@127.0.0.1:%s/%s' "$PG_DB_USER" "$1" "$PG_DB_NAME"; }
redis_url() { printf 'redis://127.0.0.1:%s/0' "$1"; }

# A service is "external" when the caller already provides its URL
# (and that URL is not the one of our private instance).
pg_external()    { [[ -n ${MOTCUA_DATABASE_URL:-} && ${MOTCUA_DATABASE_URL} != "$(pg_url "$PG_PORT")" ]]; }
redis_external() { [[ -n ${MOTCUA_REDIS_URL:-} && ${MOTCUA_REDIS_URL} != "$(redis_url "$REDIS_PORT")" ]]; }

check_port_value() { # NAME VALUE
  if ! [[ $2 =~ ^[0-9]+$ ]] || (( $2 < 1 || $2 > 65535 )); then
    die "$1 must be a TCP port number (1-65535), got '$2'"
  fi
}

# ---------------------------------------------------------------- processes
pid_alive() { [[ $1 =~ ^[0-9]+$ ]] && kill -0 "$1" 2>/dev/null; }

proc_cmdline() {
  if [[ -r /proc/$1/cmdline ]]; then
    tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null || true
  else
    ps -p "$1" -o args= 2>/dev/null || true
  fi
}

# Is something listening on 127.0.0.1:PORT ?
port_in_use() {
  if command -v timeout >/dev/null 2>&1; then
    # shellcheck disable=SC2016  # $0 is expanded by the inner bash
    timeout 3 bash -c 'exec 4<>"/dev/tcp/127.0.0.1/$0"' "$1" 2>/dev/null
  else
    (exec 4<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}

as_root() {
  if [[ $EUID -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

# ----------------------------------------------------------- installation
apt_install() { # PACKAGE...
  if ! command -v apt-get >/dev/null 2>&1; then
    die "$* not found and apt-get is unavailable: install $* with your package manager (and put its binaries in PATH)"
  fi
  if [[ $EUID -ne 0 ]] && ! command -v sudo >/dev/null 2>&1; then
    die "$* not found: install it as root with 'apt-get install -y $*'"
  fi
  log "installing $* with apt-get (this can take a minute)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update >&2 \
    || die "apt-get update failed; install $* manually"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >&2 \
    || die "apt-get install $* failed; install $* manually"
}

# Sets PG_BIN to a directory containing initdb and pg_ctl. If the cluster
# already exists, prefer binaries of the matching major version.
find_pg_bin() {
  local want="" d v best="" best_key=-1 key major minor
  [[ -f $PG_DATA/PG_VERSION ]] && want="$(cat "$PG_DATA/PG_VERSION")"
  if [[ -n $want && -x /usr/lib/postgresql/$want/bin/pg_ctl && -x /usr/lib/postgresql/$want/bin/initdb ]]; then
    PG_BIN="/usr/lib/postgresql/$want/bin"; return 0
  fi
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    d="$(dirname "$(command -v pg_ctl)")"
    if [[ -x $d/initdb ]]; then
      v="$("$d/pg_ctl" --version 2>/dev/null | sed -n 's/.* \([0-9][0-9]*\)\.[0-9].*/\1/p; s/.* \([0-9][0-9]*\)$/\1/p' | head -n1)"
      if [[ -z $want || $v == "$want" || $v == "${want%%.*}" ]]; then
        PG_BIN="$d"; return 0
      fi
    fi
  fi
  if [[ -z $want ]]; then
    for d in /usr/lib/postgresql/*/bin; do
      [[ -x $d/pg_ctl && -x $d/initdb ]] || continue
      v="$(basename "$(dirname "$d")")"           # "16" or "9.6"
      [[ $v =~ ^[0-9]+(\.[0-9]+)?$ ]] || continue
      major="${v%%.*}"; minor=0
      [[ $v == *.* ]] && minor="${v#*.}"
      key=$(( major * 100 + minor ))
      if (( key > best_key )); then best_key=$key; best="$d"; fi
    done
    if [[ -n $best ]]; then PG_BIN="$best"; return 0; fi
  fi
  return 1
}

pg_tool() { # NAME -> path of a client tool (psql, pg_isready)
  if [[ -n $PG_BIN && -x $PG_BIN/$1 ]]; then printf '%s' "$PG_BIN/$1"
  elif command -v "$1" >/dev/null 2>&1; then command -v "$1"
  else die "$1 not found (install the PostgreSQL client: apt-get install postgresql-client)"
  fi
}

# ------------------------------------------------------------- postgresql
owner_of() { stat -c %U "$1" 2>/dev/null || stat -f %Su "$1" 2>/dev/null || true; }

# When running as root, PostgreSQL must run as an unprivileged user.
choose_pg_user() {
  [[ $EUID -eq 0 ]] || return 0
  local owner
  owner="$(owner_of "$PG_DATA")"
  if [[ -n $owner && $owner != root ]] && id -u "$owner" >/dev/null 2>&1; then
    PG_USER="$owner"
  elif id -u postgres >/dev/null 2>&1; then
    PG_USER=postgres
  else
    if ! id -u motcua >/dev/null 2>&1; then
      command -v useradd >/dev/null 2>&1 || die "running as root and no 'postgres' user exists; create an unprivileged user 'motcua' (useradd --system motcua) and retry"
      log "creating system user 'motcua' to run PostgreSQL"
      useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin motcua \
        || die "could not create system user 'motcua'"
    fi
    PG_USER=motcua
  fi
  PG_GROUP="$(id -gn "$PG_USER")"
}

# Run a command as the PostgreSQL OS user (or as ourselves when not root).
as_pg() {
  (
    # fd 3 (stdout of 'up') and fd 9 (lock) must not leak into the daemon,
    # or `$(services.sh up)` would never finish and the lock never be freed.
    exec 3>&- 9>&-
    cd "$PG_DIR" 2>/dev/null || cd /
    if [[ -z $PG_USER ]]; then
      exec "$@"
    elif command -v runuser >/dev/null 2>&1; then
      exec runuser -u "$PG_USER" -- "$@"
    elif command -v setpriv >/dev/null 2>&1; then
      exec setpriv --reuid="$PG_USER" --regid="$PG_GROUP" --init-groups -- "$@"
    else
      exec su -s "$BASH" "$PG_USER" -c "$(printf '%q ' "$@")"
    fi
  )
}

prepare_pg_dirs() {
  mkdir -p "$PG_DIR" "$PG_LOGDIR" "$PG_RUN"
  chmod 700 "$PG_RUN"
  [[ -n $PG_USER ]] || return 0
  # Hand our subtree to the PostgreSQL user (only what is not already theirs).
  find "$PG_DIR" ! -user "$PG_USER" -exec chown "$PG_USER:$PG_GROUP" {} + 2>/dev/null \
    || chown -R "$PG_USER:$PG_GROUP" "$PG_DIR"
  chmod o+x "$LOCAL_DIR" 2>/dev/null || true   # our own dir: let PG_USER through
  if ! as_pg test -w "$PG_DIR"; then
    local d="$PG_DIR" blocked="?"
    while [[ $d != / && -n $d ]]; do
      d="$(dirname "$d")"
      as_pg test -x "$d" 2>/dev/null || blocked="$d"   # ends at the topmost one
    done
    die "user '$PG_USER' (PostgreSQL cannot run as root) cannot reach $PG_DIR because '$blocked' is not searchable for it; run 'chmod o+x $blocked' or set MOTCUA_LOCAL_DIR to a directory '$PG_USER' can reach"
  fi
}

pg_pid() { [[ -f $PG_PIDFILE ]] && sed -n 1p "$PG_PIDFILE" 2>/dev/null; }
pg_running_port() { sed -n 4p "$PG_PIDFILE" 2>/dev/null; }

# True if the postmaster recorded in postmaster.pid is alive and is ours.
pg_running() {
  local pid cwd=""
  pid="$(pg_pid)" || return 1
  pid_alive "$pid" || return 1
  case " $(proc_cmdline "$pid") " in
    *" $PG_DATA "*) return 0 ;;
  esac
  [[ -e /proc/$pid/cwd ]] && cwd="$(readlink "/proc/$pid/cwd" 2>/dev/null || true)"
  [[ -n $cwd && $cwd == "$PG_DATA" ]]
}

pg_write_conf() {
  local sock="$PG_RUN" conf="$PG_DATA/motcua_local.conf"
  # Unix socket paths are limited to ~107 bytes; we only need TCP anyway.
  if (( ${#PG_RUN} + 16 + ${#PG_PORT} > 107 )); then
    log "postgresql: path too long for a unix socket, using TCP only"
    sock=""
  fi
  {
    echo "# Written by deploy/local/services.sh on every 'up'; do not edit."
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $PG_PORT"
    echo "unix_socket_directories = '${sock//\'/\'\'}'"
  } >"$conf"
  [[ -z $PG_USER ]] || chown "$PG_USER:$PG_GROUP" "$conf"
}

pg_init() {
  local tmp="$PG_DIR/data.init" out="$PG_LOGDIR/initdb.log" locale
  if [[ -e $PG_DATA ]]; then
    if [[ -n $(ls -A "$PG_DATA" 2>/dev/null) ]]; then
      die "$PG_DATA exists but is not a PostgreSQL cluster (no PG_VERSION); remove $PG_DIR and retry"
    fi
    rmdir "$PG_DATA"
  fi
  log "postgresql: initialising a new cluster in $PG_DATA"
  for locale in C.UTF-8 C; do
    rm -rf "$tmp"
    if as_pg "$PG_BIN/initdb" -D "$tmp" --auth=trust --username="$PG_DB_USER" \
         --encoding=UTF8 --locale="$locale" >"$out" 2>&1; then
      printf "\ninclude_if_exists = 'motcua_local.conf'\n" >>"$tmp/postgresql.conf"
      mv "$tmp" "$PG_DATA"
      return 0
    fi
    log "postgresql: initdb with locale $locale failed${locale:+, trying a fallback}"
  done
  tail -n 20 "$out" >&2 || true
  rm -rf "$tmp"
  die "initdb failed (see $out)"
}

pg_start() {
  local attempt pid
  for attempt in 1 2 3; do
    if pid="$(pg_pid)" && [[ -n $pid ]] && ! pg_running; then
      log "postgresql: removing stale postmaster.pid (pid $pid is not our server)"
      rm -f "$PG_PIDFILE"
      # The socket lock in our private run dir is stale too (its pid may even
      # survive as an unreaped zombie, which would make PostgreSQL refuse).
      rm -f "$PG_RUN"/.s.PGSQL.*.lock
    fi
    if port_in_use "$PG_PORT"; then
      die "port $PG_PORT on 127.0.0.1 is already in use by another process; set MOTCUA_LOCAL_PG_PORT to a free port"
    fi
    pg_write_conf
    log "postgresql: starting on 127.0.0.1:$PG_PORT (log: $PG_LOGFILE)"
    if as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOGFILE" -w -t 60 start >&2; then
      return 0
    fi
    # Typical transient cause: orphaned backends of a crashed postmaster
    # still holding the old shared memory segment. They exit by themselves.
    log "postgresql: start attempt $attempt failed"
    sleep 2
  done
  tail -n 20 "$PG_LOGFILE" >&2 || true
  die "PostgreSQL did not start (see $PG_LOGFILE)"
}

pg_wait_ready() {
  local isready i
  isready="$(pg_tool pg_isready)"
  for ((i = 0; i < 150; i++)); do
    "$isready" -q -h 127.0.0.1 -p "$1" -U "$PG_DB_USER" -d postgres && return 0
    sleep 0.2
  done
  die "PostgreSQL on 127.0.0.1:$1 is not accepting connections (see $PG_LOGFILE)"
}

pg_ensure_db() {
  local psql exists
  psql="$(pg_tool psql)"
  exists="$("$psql" -X -q -tA -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -U "$PG_DB_USER" -d postgres \
             -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DB_NAME'")" \
    || die "cannot query PostgreSQL on 127.0.0.1:$1"
  if [[ $exists != 1 ]]; then
    log "postgresql: creating database $PG_DB_NAME"
    "$psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -U "$PG_DB_USER" -d postgres \
      -c "CREATE DATABASE \"$PG_DB_NAME\" OWNER \"$PG_DB_USER\"" >&2 \
      || die "could not create database $PG_DB_NAME"
  fi
}

pg_up() {
  if pg_external; then
    log "postgresql: MOTCUA_DATABASE_URL is set, not starting the private cluster"
    return 0
  fi
  check_port_value MOTCUA_LOCAL_PG_PORT "$PG_PORT"
  if ! find_pg_bin; then
    if [[ -f $PG_DATA/PG_VERSION ]]; then
      die "the cluster in $PG_DATA needs PostgreSQL $(cat "$PG_DATA/PG_VERSION") binaries (initdb, pg_ctl), not found; install postgresql-$(cat "$PG_DATA/PG_VERSION") or remove $PG_DIR"
    fi
    apt_install postgresql
    find_pg_bin || die "PostgreSQL binaries (initdb, pg_ctl) still not found after installing 'postgresql'"
  fi
  choose_pg_user
  prepare_pg_dirs
  if pg_running; then
    local running_port
    running_port="$(pg_running_port)"
    if [[ $running_port != "$PG_PORT" ]]; then
      die "the private PostgreSQL already runs on port $running_port, not MOTCUA_LOCAL_PG_PORT=$PG_PORT; run '$0 down' first"
    fi
    log "postgresql: already running on 127.0.0.1:$PG_PORT"
  else
    [[ -f $PG_DATA/PG_VERSION ]] || pg_init
    pg_start
  fi
  pg_wait_ready "$PG_PORT"
  pg_ensure_db "$PG_PORT"
  PG_MANAGED=1
}

pg_down() {
  local pid i
  if ! pg_running; then
    log "postgresql: not running"
    return 0
  fi
  pid="$(pg_pid)"
  log "postgresql: stopping (pid $pid)"
  choose_pg_user
  if find_pg_bin 2>/dev/null; then
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >&2 \
      || die "pg_ctl stop failed (see $PG_LOGFILE)"
  else
    kill -INT "$pid"   # SIGINT = fast shutdown
    for ((i = 0; i < 300; i++)); do pid_alive "$pid" || break; sleep 0.2; done
    pid_alive "$pid" && die "PostgreSQL (pid $pid) did not stop"
  fi
  return 0
}

# ------------------------------------------------------------------ redis
redis_pid() { [[ -f $REDIS_PIDFILE ]] && tr -dc '0-9' <"$REDIS_PIDFILE" 2>/dev/null; }
redis_running_port() { cat "$REDIS_PORTFILE" 2>/dev/null || echo "$REDIS_PORT"; }

redis_running() {
  local pid
  pid="$(redis_pid)" || return 1
  pid_alive "$pid" || return 1
  case "$(proc_cmdline "$pid")" in
    *redis*) return 0 ;;
  esac
  return 1
}

redis_ping() { # PORT
  local reply=""
  if command -v redis-cli >/dev/null 2>&1; then
    reply="$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null || true)"
  else
    reply="$(
      exec 2>/dev/null
      exec 4<>"/dev/tcp/127.0.0.1/$1" || exit 0
      printf 'PING\r\n' >&4
      IFS= read -r -t 2 line <&4 || true
      printf '%s' "${line:-}"
    )" || true
    reply="${reply#+}"; reply="${reply%$'\r'}"
  fi
  [[ $reply == PONG ]]
}

redis_up() {
  local i
  if redis_external; then
    log "redis: MOTCUA_REDIS_URL is set, not starting the private Redis"
    return 0
  fi
  check_port_value MOTCUA_LOCAL_REDIS_PORT "$REDIS_PORT"
  if ! command -v redis-server >/dev/null 2>&1; then
    apt_install redis-server
    command -v redis-server >/dev/null 2>&1 || die "redis-server still not found after installing 'redis-server'"
  fi
  mkdir -p "$REDIS_DIR"
  if redis_running; then
    if [[ $(redis_running_port) != "$REDIS_PORT" ]]; then
      die "the private Redis already runs on port $(redis_running_port), not MOTCUA_LOCAL_REDIS_PORT=$REDIS_PORT; run '$0 down' first"
    fi
    log "redis: already running on 127.0.0.1:$REDIS_PORT"
  else
    rm -f "$REDIS_PIDFILE"
    if port_in_use "$REDIS_PORT"; then
      die "port $REDIS_PORT on 127.0.0.1 is already in use by another process; set MOTCUA_LOCAL_REDIS_PORT to a free port"
    fi
    log "redis: starting on 127.0.0.1:$REDIS_PORT (log: $REDIS_LOGFILE)"
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --protected-mode yes \
      --daemonize yes --dir "$REDIS_DIR" --pidfile "$REDIS_PIDFILE" \
      --logfile "$REDIS_LOGFILE" --save "" --appendonly yes >&2 3>&- 9>&- \
      || die "redis-server failed to start (see $REDIS_LOGFILE)"
    echo "$REDIS_PORT" >"$REDIS_PORTFILE"
  fi
  for ((i = 0; i < 100; i++)); do
    if redis_ping "$REDIS_PORT"; then REDIS_MANAGED=1; return 0; fi
    sleep 0.2
  done
  tail -n 20 "$REDIS_LOGFILE" >&2 || true
  die "Redis on 127.0.0.1:$REDIS_PORT does not answer PING (see $REDIS_LOGFILE)"
}

redis_down() {
  local pid i
  if ! redis_running; then
    log "redis: not running"
    rm -f "$REDIS_PIDFILE"
    return 0
  fi
  pid="$(redis_pid)"
  log "redis: stopping (pid $pid)"
  kill -TERM "$pid"   # graceful shutdown: flushes the AOF, no RDB save (save "")
  for ((i = 0; i < 150; i++)); do pid_alive "$pid" || break; sleep 0.2; done
  if pid_alive "$pid"; then
    die "Redis (pid $pid) did not stop within 30s"
  fi
  rm -f "$REDIS_PIDFILE"
  return 0
}

# ---------------------------------------------------------------- commands
take_lock() {
  command -v flock >/dev/null 2>&1 || return 0
  mkdir -p "$LOCAL_DIR"
  local lock="$LOCAL_DIR/.lock"
  [[ ! -e $lock || -w $lock ]] || return 0
  exec 9>>"$lock"
  flock -w 120 9 || die "another services.sh is still running (lock $lock)"
}

cmd_up() {
  exec 3>&1 1>&2   # stdout is reserved for the export lines
  pg_external || check_port_value MOTCUA_LOCAL_PG_PORT "$PG_PORT"
  redis_external || check_port_value MOTCUA_LOCAL_REDIS_PORT "$REDIS_PORT"
  take_lock
  pg_up
  redis_up
  # Print only once everything succeeded, so a failing 'up' exports nothing.
  if (( PG_MANAGED )); then printf 'export MOTCUA_DATABASE_URL=%s\n' "$(pg_url "$PG_PORT")" >&3; fi
  if (( REDIS_MANAGED )); then printf 'export MOTCUA_REDIS_URL=%s\n' "$(redis_url "$REDIS_PORT")" >&3; fi
  return 0
}

cmd_env() {
  exec 3>&1 1>&2
  if ! pg_external; then
    if pg_running; then
      printf 'export MOTCUA_DATABASE_URL=%s\n' "$(pg_url "$(pg_running_port)")" >&3
    else
      log "postgresql: not running"
    fi
  fi
  if ! redis_external; then
    if redis_running; then
      printf 'export MOTCUA_REDIS_URL=%s\n' "$(redis_url "$(redis_running_port)")" >&3
    else
      log "redis: not running"
    fi
  fi
}

cmd_down() {
  exec 3>&1 1>&2
  take_lock
  pg_down
  redis_down
}

cmd_status() {
  local ok=0 extra
  if pg_running; then
    echo "postgresql: running (pid $(pg_pid), 127.0.0.1:$(pg_running_port), data $PG_DATA)"
  elif pg_external; then
    echo "postgresql: external (MOTCUA_DATABASE_URL is set; private cluster stopped, data $PG_DATA)"
  else
    extra=""; [[ -f $PG_DATA/PG_VERSION ]] || extra=", not initialised"
    echo "postgresql: stopped (port $PG_PORT, data $PG_DATA$extra)"
    ok=3
  fi
  if redis_running; then
    echo "redis: running (pid $(redis_pid), 127.0.0.1:$(redis_running_port), data $REDIS_DIR)"
  elif redis_external; then
    echo "redis: external (MOTCUA_REDIS_URL is set; private Redis stopped, data $REDIS_DIR)"
  else
    echo "redis: stopped (port $REDIS_PORT, data $REDIS_DIR)"
    ok=3
  fi
  return "$ok"
}

usage() {
  echo "usage: $0 up|down|status|env" >&2
  exit 2
}

[[ $# -eq 1 ]] || usage
case "$1" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  -h|--help|help) usage ;;
  *) usage ;;
esac
