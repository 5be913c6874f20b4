# Scenario: two memdevs behind one host bridge give one 2-way interleaved pmem region spanning
# both, and a devdax namespace on it works.
expect_eq "memdevs" "$(memdevs | tr '\n' ' ')" "mem0 mem1 "
attach
cxl list -R
expect_eq "interleave ways" "$(cxl list -R | grep -o '"interleave_ways":[0-9]*' | cut -d: -f2)" 2
rsize=$(cxl list -R | grep -o '"size":[0-9]*' | head -1 | cut -d: -f2)
m0=$(cat /sys/bus/cxl/devices/mem0/pmem/size)
m1=$(cat /sys/bus/cxl/devices/mem1/pmem/size)
expect_eq "region size" "$rsize" "$((m0 + m1))"
provision devdax >/dev/null
dax=$(ns_dev devdax)
wait_dev "$dax"
# Stripes alternate between the devices every 256 bytes: write across many of them.
daxio write "$dax" 0x1f00 "interleaved-$(printf '%0600d' 7)"
expect_eq "readback" "$(daxio read "$dax" 0x1f00 612)" "interleaved-$(printf '%0600d' 7)"
