# shellcheck shell=bash
# Shell helpers that deploy/local/stack and deploy/local/suite share. Each sources this file after
# setting TAG, the prefix of what it prints.

say() { printf '[%s] %s\n' "$TAG" "$*"; }
die() { printf '[%s] error: %s\n' "$TAG" "$*" >&2; exit 1; }
# something accepts connections on the local port $1 (plain bash: no curl or nc needed)
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# running, and not a zombie: a killed process can linger as one until its new parent reaps it
running() { kill -0 "$1" 2>/dev/null && [[ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" != Z ]]; }
# the process in the pid file $1 runs and is still ours: its command line holds $2 (a stale pid
# file after a reboot may name some other process by now)
alive() {
  local pid
  [[ -f "$1" ]] && pid="$(cat "$1")" && running "$pid" &&
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$2"
}
# signals a process that may exit at any moment: that it is gone already is no error
signal() { kill "-$1" "$2" 2>/dev/null || true; }
