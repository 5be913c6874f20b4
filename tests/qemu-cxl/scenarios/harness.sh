#!/bin/bash
# The harness itself: a failing scenario fails with its status and keeps its serial log; a hung
# guest is killed at its timeout and leaves no QEMU behind; kernel errors in dmesg fail a
# scenario that exited 0; files go in (/in) and out (/out); arguments and -e variables arrive;
# QMP stop/cont (run -Q) pauses a whole guest, its clocks included.
. "$(dirname "$0")/lib.sh"
LOGS=$DAXPOOL_BUILD/qemu-cxl/logs

say "a scenario's exit status is the run's"
echo 'echo "failing on purpose"; exit 3' > "$WORK/exit3.sh"
rc=0; "$RUN" -t none -n harness-exit3 "$WORK/exit3.sh" > "$WORK/exit3.out" 2>&1 || rc=$?
[ $rc = 3 ] || fail "exit 3 scenario: run returned $rc"
grep -q "failing on purpose" "$WORK/exit3.out" || fail "the scenario's output was not shown"
grep -q "serial log: $LOGS/harness-exit3.log" "$WORK/exit3.out" || fail "the log path was not shown"
grep -q "failing on purpose" "$LOGS/harness-exit3.log" || fail "the serial log of the failed run was not kept"
rm -f "$LOGS/harness-exit3.log"

say "a hung guest is killed at its timeout"
echo 'sleep 1000' > "$WORK/hang.sh"
rc=0; "$RUN" -t none -n harness-hang -T 12 "$WORK/hang.sh" > "$WORK/hang.out" 2>&1 || rc=$?
[ $rc = 125 ] || fail "hung scenario: run returned $rc, want 125"
grep -q "timed out" "$WORK/hang.out" || fail "the timeout was not reported"
! pgrep -r R,S,D -f "daxtest.host=harness-hang" >/dev/null || fail "a QEMU process was left behind"
rm -f "$LOGS/harness-hang.log"

say "a killed harness takes its guest with it"
"$RUN" -t none -n harness-killed "$WORK/hang.sh" > /dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do pgrep -r R,S,D -f "daxtest.host=harness-killed" >/dev/null && break; sleep 0.1; done
pgrep -r R,S,D -f "daxtest.host=harness-killed" >/dev/null || fail "the guest did not start"
kill -KILL $pid
wait $pid 2>/dev/null || true
for _ in $(seq 50); do pgrep -r R,S,D -f "daxtest.host=harness-killed" >/dev/null || break; sleep 0.1; done
! pgrep -r R,S,D -f "daxtest.host=harness-killed" >/dev/null || fail "QEMU outlived its SIGKILLed harness"
rm -f "$LOGS/harness-killed.log"

say "kernel errors fail a scenario that exited 0"
echo 'echo "WARNING: CPU: 0 PID: 1 injected by the harness test" > /dev/kmsg' > "$WORK/warn.sh"
rc=0; "$RUN" -t none -n harness-warn "$WORK/warn.sh" > "$WORK/warn.out" 2>&1 || rc=$?
[ $rc = 124 ] || fail "kernel warning scenario: run returned $rc, want 124"
rm -f "$LOGS/harness-warn.log"

say "files in and out, arguments and variables"
echo "payload-$RANDOM" > "$WORK/payload"
cat > "$WORK/io.sh" <<'G'
[ "$1 $2" = "first second arg" ] || fail "arguments: '$1' '$2'"
[ "$GREETING" = "hello world" ] || fail "variable: '$GREETING'"
cp /in/payload /out/payload.back
G
"$RUN" -t none -n harness-io -i "$WORK/payload" -o "$WORK/out" -e "GREETING=hello world" "$WORK/io.sh" first "second arg"
cmp "$WORK/payload" "$WORK/out/payload.back" || fail "the file did not come back intact"

say "QMP stop pauses the whole guest, its clocks included; cont resumes it"
cat > "$WORK/pause.sh" <<'G'
echo "$(cut -d' ' -f1 /proc/uptime) $(date +%s)" > /out/ready
until [ -e /out/resumed ]; do usleep 100000; done
echo "$(cut -d' ' -f1 /proc/uptime) $(date +%s)" > /out/after
G
"$RUN" -t none -n harness-pause -Q "$WORK/q.sock" -o "$WORK/p" "$WORK/pause.sh" & pid=$!
for _ in $(seq 600); do [ -e "$WORK/p/ready" ] && break; sleep 0.1; done
[ -e "$WORK/p/ready" ] || fail "the pause guest did not start"
"$HERE/qmp" "$WORK/q.sock" stop > /dev/null
[ "$("$HERE/qmp" "$WORK/q.sock" status)" = paused ] || fail "qmp stop: the guest is not paused"
sleep 4
"$HERE/qmp" "$WORK/q.sock" cont > /dev/null
[ "$("$HERE/qmp" "$WORK/q.sock" status)" = running ] || fail "qmp cont: the guest is not running"
touch "$WORK/p/resumed"
wait $pid || fail "the pause guest failed"
read -r up0 rt0 < "$WORK/p/ready"
read -r up1 rt1 < "$WORK/p/after"
# 4 s stopped: neither clock of the guest may count them (the rest of the wait is a few tenths).
awk -v a="$up0" -v b="$up1" 'BEGIN { exit !(b - a < 3) }' || fail "the guest's uptime advanced $up0 -> $up1 over a 4 s stop"
[ $((rt1 - rt0)) -lt 3 ] || fail "the guest's realtime advanced $((rt1 - rt0)) s over a 4 s stop"
