# ctr_read.py DIR...: a container's workload in the cxl-containers scenarios (python3 from the
# container image). Reads every regular file under each DIR once, as a program starting up reads
# its libraries and modules, then writes "BYTES FILES" to /ctr-ready (renamed into place: the
# host waits for that name) and stays running, its mappings of python3 and its libraries held,
# until /ctr-stop appears (guest/containers.sh, ctr_stop).
import os
import sys
import time

total = files = 0
for top in sys.argv[1:]:
    for path, dirs, names in os.walk(top):
        dirs.sort()
        for name in sorted(names):
            p = os.path.join(path, name)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
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
