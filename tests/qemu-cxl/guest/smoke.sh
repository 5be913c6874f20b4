# Scenario: CXL smoke. mem0 is visible, a pmem region is created (checked in `cxl list -R`, not by
# exit status), a devdax and an fsdax namespace can be created and used, and daxpool sees them.
say "memdevs"
cxl list -M
cxl list -M | grep -q '"memdev":"mem0"' || fail "cxl list -M does not show mem0"
say "region"
attach
cxl list -R
cxl list -R | grep -q '"region":"region0"' || fail "cxl list -R does not show region0"
rsize=$(cxl list -R | grep -o '"size":[0-9]*' | head -1 | cut -d: -f2)
msize=$(cat /sys/bus/cxl/devices/mem0/pmem/size)
expect_eq "region0 size" "$((rsize))" "$((msize))"

say "devdax namespace"
provision devdax 64M
dax=$(ns_dev devdax)
[ -n "$dax" ] || fail "no devdax namespace device after create-namespace"
wait_dev "$dax"
# The namespace's first 2 MiB hold its info block, even with --map=mem.
expect_eq "devdax size" "$(daxio size "$dax")" $((62 << 20))
daxio write "$dax" 0x1000 "smoke-devdax"
expect_eq "devdax readback" "$(daxio read "$dax" 0x1000 12)" "smoke-devdax"

say "fsdax namespace"
provision fsdax 64M
pmem=$(ns_dev fsdax)
[ -n "$pmem" ] || fail "no fsdax namespace device after create-namespace"
wait_dev "$pmem"
expect_eq "devdax namespaces" "$(ns_count devdax)" 1
expect_eq "fsdax namespaces" "$(ns_count fsdax)" 1
ndctl list -N

say "daxpool topology"
daxpool topology --json > /tmp/topo.json
cat /tmp/topo.json
grep -q '"memdev": "mem0"' /tmp/topo.json || fail "daxpool topology: no mem0"
grep -q '"region": "region0"' /tmp/topo.json || fail "daxpool topology: no region0"
grep -q "\"chardev\": \"${dax#/dev/}\"" /tmp/topo.json || fail "daxpool topology: no ${dax#/dev/}"
grep -q "\"blockdev\": \"${pmem#/dev/}\"" /tmp/topo.json || fail "daxpool topology: no ${pmem#/dev/}"
grep -q "\"device\": \"$dax\"" /tmp/topo.json || fail "daxpool topology: no $dax"
# -b filters by bus, as ndctl list -b: both namespaces are in CXL memory.
daxpool list -b cxl -j > /tmp/cxl.json
expect_eq "list -b cxl: namespaces" "$(jsonget namespaces.# /tmp/cxl.json)" 2
expect_eq "list -b cxl: memdevs" "$(jsonget memdevs.# /tmp/cxl.json)" "$(jsonget memdevs.# /tmp/topo.json)"
daxpool list -b nvdimm -j > /tmp/nd.json
expect_eq "list -b nvdimm: namespaces" "$(jsonget namespaces.# /tmp/nd.json)" 0
expect_eq "list -b nvdimm: memdevs" "$(jsonget memdevs.# /tmp/nd.json)" 0
