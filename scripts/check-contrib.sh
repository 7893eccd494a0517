#!/usr/bin/env bash
# Replays contrib/Dockerfile without a Docker engine (none runs on the
# project's machines) and checks contrib/overdue.service:
#
#  1. the build stage's commands, as written in the Dockerfile, with /out in
#     a temporary directory; the binary must be static;
#  2. the run stage's COPY --from=build lines into an empty root directory
#     (what FROM scratch starts with);
#  3. the ENTRYPOINT and CMD, as the USER, chrooted into that directory with
#     the ENV lines, on another port than 8000 (which may be taken here);
#     the HEALTHCHECK command must pass, the database must appear on the
#     volume owned by the user, and SIGTERM must end it with status 0;
#  4. systemd-analyze verify on the unit, pointed at the built binary.
#
# Run as root (chroot and the user switch need it): scripts/check-contrib.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
df=contrib/Dockerfile
tmp=$(mktemp -d)
server=""
cleanup() { [[ -n "$server" ]] && kill -9 "$server" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
out=$tmp/out root=$tmp/root
chroot=$(command -v chroot)
mkdir -p "$root"

# Lines of one instruction (continuations joined), from the stage named $2.
instr() { # instr INSTRUCTION STAGE
  awk -v want="$1" -v stage="$2" '
    /^FROM / { cur = ($NF == "scratch") ? "run" : $NF }
    cur != stage { next }
    { line = line $0 }
    /\\$/ { sub(/\\$/, "", line); next }
    { if (line ~ "^" want " ") { sub("^" want " +", "", line); print line }; line = "" }
  ' "$df"
}

echo "== build stage"
instr RUN build | while IFS= read -r cmd; do
  cmd=${cmd//\/out/$out}
  echo "+ $cmd"
  bash -c "$cmd"
done
if readelf -lW "$out/overdue" | grep -q INTERP; then echo "the binary is not static"; exit 1; fi

echo "== run stage: COPY --from=build"
instr COPY run | while read -r from src dst; do
  [[ "$from" == "--from=build" ]] || { echo "unexpected COPY: $from $src $dst"; exit 1; }
  src=${src//\/out/$out}
  mkdir -p "$(dirname "$root$dst")"
  cp -a "$src" "$root$dst"
  echo "+ $src -> $dst"
done

user=$(instr USER run)
envs=()
while read -r kv; do envs+=("$kv"); done < <(instr ENV run)
port=$((20000 + RANDOM % 20000))
json() { python3 -c 'import json,sys; print("\n".join(json.loads(sys.argv[1])))' "$1"; }
mapfile -t entry < <(json "$(instr ENTRYPOINT run)")
mapfile -t cmdline < <(json "$(instr CMD run)")
health=$(instr HEALTHCHECK run | sed 's/.*CMD //')
mapfile -t hc < <(json "$health")
argv=("${entry[@]}" "${cmdline[@]}")
argv=("${argv[@]//:8000/:$port}")
hc=("${hc[@]//:8000/:$port}")
stat -c '%u:%g' "$root/data" | grep -qx "$user" || { echo "/data is not owned by $user"; exit 1; }

echo "== run as $user in an empty root: ${argv[*]}"
env -i "${envs[@]}" SITE_ROOT=http://localhost:$port "$chroot" --userspec="$user" "$root" "${argv[@]}" 2>"$tmp/log" &
server=$!
ok=""
for _ in $(seq 1 100); do
  if env -i "${envs[@]}" "$chroot" --userspec="$user" "$root" "${hc[@]}" >/dev/null 2>&1; then ok=1; break; fi
  sleep 0.2
done
[[ -n "$ok" ]] || { echo "the HEALTHCHECK never passed:"; cat "$tmp/log"; exit 1; }
echo "+ HEALTHCHECK ${hc[*]}: passes"
db=$(printf '%s\n' "${envs[@]}" | sed -n 's/^DB_NAME=//p')
[[ "$(stat -c '%u:%g' "$root$db")" == "$user" ]] || { echo "$db is missing or not owned by $user"; exit 1; }
kill -TERM "$server"
status=0
wait "$server" || status=$?
server=""
[[ $status == 0 ]] || { echo "exit status $status after SIGTERM:"; cat "$tmp/log"; exit 1; }
echo "+ SIGTERM: exit 0"

echo "== systemd unit"
if command -v systemd-analyze >/dev/null; then
  sed "s|/usr/local/bin/overdue|$out/overdue|" contrib/overdue.service >"$tmp/overdue.service"
  systemd-analyze verify "$tmp/overdue.service"
  systemd-analyze security --offline=yes "$tmp/overdue.service" 2>/dev/null | tail -1 || true
else
  echo "systemd-analyze not installed; skipped"
fi
echo "contrib: OK"
