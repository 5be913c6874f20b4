# ctr_read.py PATH...: a container's workload in the containers scenarios (python3 from the
# container image). Reads each PATH that is a file, and every regular file under each that is a
# folder, once, as a program starting up reads its libraries and modules, then writes
# "BYTES FILES" to /ctr-ready (renamed into place: the host waits for that name) and stays
# running, its mappings of python3 and its libraries held, until /ctr-stop appears
# (guest/containers.sh, ctr_stop).
import os
import sys
import time


def walk(top):
    """TOP if it is a file, else every regular file under it (symbolic links not followed)."""
    if os.path.isfile(top):
        yield top
        return
    for path, dirs, names in os.walk(top):
        dirs.sort()
        for name in sorted(names):
            p = os.path.join(path, name)
            if not os.path.islink(p) and os.path.isfile(p):
                yield p


total = files = 0
for top in sys.argv[1:]:
    for p in walk(top):
        with open(p, 'rb', buffering=0) as f:
            while True:
                b = f.read(1 << 20)
                if not b:
                    break
                total += len(b)
        files += 1
if files == 0:
    sys.exit(f"ctr_read: no files under {' '.join(sys.argv[1:])}")
with open('/ctr-ready.tmp', 'w') as f:
    f.write(f"{total} {files}\n")
os.rename('/ctr-ready.tmp', '/ctr-ready')
while not os.path.exists('/ctr-stop'):
    time.sleep(0.5)
