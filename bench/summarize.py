#!/usr/bin/env python3
"""bench/summarize.py: the report's rows from result lines (bench/lib.sh describes them).

  summarize.py --text FILE...                 the rows found in FILE(s), as text
  summarize.py --out DIR --meta META FILE...  DIR/report.md, DIR/report.json, DIR/report.png
                                              (gnuplot), META: a JSON object of the machine and
                                              versions (bench/report writes it)

Every number printed is a median of measured values (over rounds; for P5 and P7's daxfs RAM per
host also over both hosts); a row whose values were not measured is left out of --text and shown as "not run" in
the report. Ratios are daxpool's value / the peer's, except P2 (load throughput / memcpy
throughput, i.e. memcpy time / load time) and the P6 size rows (1 GiB / 16 MiB).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

TREES = {"usr-include": "/usr/include", "small40k": "40k small files", "minbase": "Debian minbase root"}
PEERS_P3 = {"erofs": "EROFS-DAX", "ext4": "ext4-DAX", "tmpfs": "tmpfs"}

METHODS = {
    "P1": "bench/build.sh, on the host: each tool builds each tree cold (written back and all caches dropped "
          "just before) and warm (again at once); tools interleaved per round; the image written to the same "
          "disk, not synced. mksquashfs uses every core, the others one.",
    "P2": "bench/stamp.sh: `daxpool load` (validate the source, copy with non-temporal stores, make durable, "
          "read back and verify the digest, seal) timed as a whole command, against `daxbench memcpy` (source "
          "and destination mapped, one memcpy, then an sfence on a device / msync on a file) of the same file "
          "into the same device, at its end. Guest: NVDIMM devdax namespace, the image in guest RAM. Host: pool "
          "file and image in /dev/shm.",
    "P3/P4": "bench/read.sh, one guest (TCG, 2 vCPUs, 2 GiB): tree = /usr/include + a 64 MiB random file + a "
             "directory of 100,000 empty files; daxfs, EROFS-DAX (-Enoinline_data, dax=always) and ext4-DAX "
             "(dax=always) each in its own fsdax namespace of one NVDIMM (copied there at boot); tmpfs "
             "copied from the daxfs mount first (already resident; its dentries cannot be dropped, so its "
             "lookups are warm). Caches dropped before every pass; 128 KiB reads; 20,000 random names.",
    "P5": "bench/pagecache.sh: two guests at once (TCG, 1 GiB each) on one NVDIMM backing file (one memory) "
          "whose fsdax namespaces a first boot filled with the images. Each reads every file of the daxfs image, of the ext4 image mounted without DAX, and "
          "of a tmpfs copy (made from the daxfs mount; copy included). Page cache = growth of Cached + Buffers "
          "over the pass, RAM = fall of MemFree; caches dropped before each pass.",
    "P6": "bench/mount.sh, one guest: one mount(2) (daxbench mount) of each image, caches dropped before; 16 MiB "
          "tree = 510 files of 32 KiB, 1 GiB tree = the same + 8 files of 126 MiB; each image copied at boot into "
          "its own fsdax namespace.",
    "P7": "bench/containers.sh runs the suite's containers scenario (tests/qemu-cxl/scenarios/containers.sh, "
          "its checks included) in systemd guests (TCG, 2 GiB, NVDIMM): systemd-nspawn containers over overlayfs "
          "(a tmpfs upper each), each running python3 from a Debian minbase image that reads 16 MiB of its files "
          "and stays running; caches dropped before each count, growth read while all of them run. Used RAM = "
          "MemTotal - MemFree (so it includes the page cache, Shmem and the containers' processes). RAM per "
          "additional container: (used RAM growth with 16 containers - with 1) / 15 on one host, over the daxfs "
          "mount, over an ext4 copy of the image on a RAM disk (brd, no DAX) and over a tmpfs copy. RAM per "
          "additional host running the same 16 containers: daxfs = each host's used RAM growth with its 16 "
          "running while the other host runs its own 16 over the same image in the same memory (two guests at "
          "once; median of both hosts; the image is in the shared memory, no host holds a copy); ext4 = one "
          "host's used RAM growth with 16 over its own ext4 copy (page cache of what they read + the same "
          "processes; the copy itself is on the host's disk and not counted); tmpfs = the RAM a tmpfs copy "
          "of the image takes (used RAM growth over the copy, caches dropped) + one host's used RAM growth "
          "with 16 over it.",
}


def load(files):
    out = []
    for f in files:
        for line in open(f, errors="replace"):
            if "RESULT " not in line:
                continue
            kv = dict(x.split("=", 1) for x in line.split("RESULT ", 1)[1].split() if "=" in x)
            try:
                kv["value"] = float(kv["value"])
            except (KeyError, ValueError):
                sys.exit(f"summarize: bad result line: {line.strip()}")
            out.append(kv)
    return out


class Data:
    def __init__(self, results):
        self.r = results

    def values(self, **want):
        return [x["value"] for x in self.r if all(x.get(k) == v for k, v in want.items())]

    def hosts(self, **want):
        return sorted({x.get("host", "") for x in self.r if all(x.get(k) == v for k, v in want.items())})


GOALS_P3_P4 = {("read_all_s", "erofs"): ("<=", 0.75), ("read_64m_s", "erofs"): ("<=", 1.0),
               ("stat_us", "erofs"): ("<=", 0.45)}


def row(part, name, unit, a_label, a, b_label, b, kind="ratio", goal=None):
    """a, b: lists of measured values (daxpool's, the peer's)."""
    r = {"part": part, "row": name, "unit": unit, "daxpool": a_label, "peer": b_label,
         "daxpool_values": a, "peer_values": b, "goal": goal}
    if not a or not b:
        r.update(measured=False)
        return r
    ma, mb = statistics.median(a), statistics.median(b)
    r.update(measured=True, daxpool_median=ma, peer_median=mb)
    if unit == "MiB" and abs(mb) < 1:  # no meaningful ratio to a peer that used (next to) nothing
        r["ratio"] = None
    elif kind == "throughput":  # a, b: times; the ratio of throughputs
        r["ratio"] = mb / ma if ma > 0 else None
    else:
        r["ratio"] = ma / mb if mb > 0 else (0.0 if ma == 0 else None)
    if goal:
        op, g = goal
        r["met"] = r["ratio"] is not None and (r["ratio"] <= g if op == "<=" else r["ratio"] >= g)
    return r


def rows(d):
    out = []
    # P1: build time (cold, warm) and size, per tree, against mkfs.erofs (goal) and mksquashfs
    for t, tn in TREES.items():
        for cache in ("cold", "warm"):
            a = d.values(part="P1", case="daxpool", tree=t, cache=cache, metric="build_s")
            out.append(row("P1", f"build time, {tn}, {cache} caches", "s", "daxpool build", a,
                           "mkfs.erofs -Enoinline_data",
                           d.values(part="P1", case="erofs", tree=t, cache=cache, metric="build_s"),
                           goal=("<=", 0.5)))
            out.append(row("P1", f"build time, {tn}, {cache} caches", "s", "daxpool build", a,
                           "mksquashfs -noI -noD -noF -noX",
                           d.values(part="P1", case="squashfs", tree=t, cache=cache, metric="build_s")))
        a = d.values(part="P1", case="daxpool", tree=t, metric="size_mib")
        out.append(row("P1", f"image size, {tn}", "MiB", "daxpool build", a, "mkfs.erofs -Enoinline_data",
                       d.values(part="P1", case="erofs", tree=t, metric="size_mib"), goal=("<=", 1.0)))
        out.append(row("P1", f"image size, {tn}", "MiB", "daxpool build", a, "mksquashfs -noI -noD -noF -noX",
                       d.values(part="P1", case="squashfs", tree=t, metric="size_mib")))
    # P2: stamp throughput relative to memcpy
    for where, what in (("guest", "devdax pool (NVDIMM) in a guest"), ("host", "file-backed pool in /dev/shm")):
        out.append(row("P2", f"stamp an image, {what}", "s", "daxpool load",
                       d.values(part="P2", case=f"{where}-load", metric="stamp_s"),
                       "mmap + memcpy", d.values(part="P2", case=f"{where}-memcpy", metric="stamp_s"),
                       kind="throughput", goal=(">=", 0.8)))
    # P3, P4: daxfs against the other file systems in one guest; issue 13's goals are against
    # EROFS-DAX (time ratios: read every file <= 0.75, one 64 MiB read at least as fast, lstat <= 0.45)
    for metric, name, unit in (("read_all_s", "read every file", "s"),
                               ("read_64m_s", "read one 64 MiB file", "s"),
                               ("read_all_cache_mib", "page-cache growth, reading every file", "MiB")):
        for peer, pn in PEERS_P3.items():
            out.append(row("P3", name, unit, "daxfs", d.values(part="P3", case="daxfs", metric=metric),
                           pn, d.values(part="P3", case=peer, metric=metric),
                           goal=GOALS_P3_P4.get((metric, peer))))
    for peer, pn in PEERS_P3.items():
        out.append(row("P4", "lstat of a random name, 100k-entry directory", "µs", "daxfs",
                       d.values(part="P4", case="daxfs", metric="stat_us"),
                       pn, d.values(part="P4", case=peer, metric="stat_us"),
                       goal=GOALS_P3_P4.get(("stat_us", peer))))
    # P4 taken apart (bench/lookup.sh; rows only when it ran): a cold positive lookup whose inode
    # is already in memory, and a negative one, against EROFS-DAX's ordinary cold lookup (what
    # daxfs would come to if making an inode cost nothing; with no inode and no stat at all),
    # then each against EROFS-DAX doing the same
    if d.values(part="P4", metric="stat_linked_us"):
        erofs_hit = d.values(part="P4", case="erofs", metric="stat_us")
        for case, metric, what in (
                ("daxfs-iget1", "stat_us", "inode made by new_inode, unhashed (iget-parts.patch)"),
                ("daxfs-iget2", "stat_us", "inode made by new_inode, inode table not read (iget-parts.patch)"),
                ("daxfs", "stat_linked_us", "inode found in the inode cache (hard links)"),
                ("daxfs", "stat_miss_us", "name absent (negative lookup)")):
            if d.values(part="P4", case=case, metric=metric) or case == "daxfs":
                out.append(row("P4", f"lstat, 100k-entry directory, {what}", "µs", "daxfs",
                               d.values(part="P4", case=case, metric=metric),
                               "EROFS-DAX, name exists (P4)", erofs_hit))
        for metric, what in (("stat_linked_us", "inode found in the inode cache (hard links)"),
                             ("stat_miss_us", "name absent (negative lookup)")):
            out.append(row("P4", f"lstat, 100k-entry directory, {what}", "µs", "daxfs",
                           d.values(part="P4", case="daxfs", metric=metric), "EROFS-DAX",
                           d.values(part="P4", case="erofs", metric=metric)))
    # P5: per host, two hosts reading one 256 MiB image
    for metric, name in (("cache_mib", "page cache per host"), ("ram_mib", "RAM per host (MemFree fall)")):
        for peer, pn in (("ext4", "ext4, no DAX"), ("tmpfs", "tmpfs copy")):
            out.append(row("P5", f"{name}, two hosts read the 256 MiB image", "MiB", "daxfs",
                           d.values(part="P5", case="daxfs", metric=metric),
                           pn, d.values(part="P5", case=peer, metric=metric)))
    # P6: mount time against image size, and against EROFS at each size
    for fs, fn in (("daxfs", "daxfs"), ("erofs", "EROFS-DAX")):
        r = row("P6", f"{fn} mount time, 1 GiB / 16 MiB image", "s", f"{fn} 1 GiB",
                d.values(part="P6", case=f"{fs}-1g", metric="mount_s"), f"{fn} 16 MiB",
                d.values(part="P6", case=f"{fs}-16", metric="mount_s"),
                goal=("<=", 1.5) if fs == "daxfs" else None)
        r["ratio_kind"] = "1 GiB / 16 MiB"
        out.append(r)
    for size, sn in (("16", "16 MiB"), ("1g", "1 GiB")):
        out.append(row("P6", f"mount time, {sn} image", "s", "daxfs",
                       d.values(part="P6", case=f"daxfs-{size}", metric="mount_s"), "EROFS-DAX",
                       d.values(part="P6", case=f"erofs-{size}", metric="mount_s")))
    # P7: containers (one host: 1 -> 16 containers; another host running the same 16)
    for metric, name, dn, peers in (
            ("ram_per_ctr_mib", "RAM per additional container, 1 → 16 containers on one host", "daxfs",
             (("ext4", "ext4 copy, no DAX"), ("tmpfs", "tmpfs copy"))),
            ("ram_per_host_mib", "RAM per additional host running the same 16 containers", "daxfs, shared image",
             (("ext4", "ext4, own copy, no DAX"), ("tmpfs", "tmpfs, own copy")))):
        for peer, pn in peers:
            out.append(row("P7", name, "MiB", dn, d.values(part="P7", case="daxfs", metric=metric),
                           pn, d.values(part="P7", case=peer, metric=metric)))
    return out


def fmt(v, unit=""):
    if v is None:
        return "—"
    if not unit and abs(v) < 0.01:  # a ratio within measurement noise of 0
        return "< 0.01"
    if unit == "s" and v < 0.01:
        return f"{v * 1000:.2f} ms"
    if unit == "MiB":
        return f"{v:.2f} MiB"
    if abs(v) >= 100:
        s = f"{v:.0f}"
    elif abs(v) >= 10:
        s = f"{v:.1f}"
    else:
        s = f"{v:.3g}" if unit != "MiB" else f"{v:.1f}"
    return f"{s} {unit}".strip()


def ratio_text(r):
    """The ratio, with as many digits as it takes to show why a goal is met or not."""
    t = fmt(r["ratio"])
    if r["goal"] and r["ratio"] is not None and t[0].isdigit():
        op, g = r["goal"]
        shown = float(t)
        if (shown <= g if op == "<=" else shown >= g) != r["met"]:
            t = f"{r['ratio']:.6f}"
    return t


def goal_text(r):
    if not r["goal"]:
        return "—"
    op, g = r["goal"]
    return f"{'≤' if op == '<=' else '≥'} {g:g}"


def text(rs):
    for r in rs:
        if not r["measured"]:
            continue
        met = "" if not r["goal"] else ("  goal " + goal_text(r) + (": met" if r["met"] else ": NOT met"))
        print(f"{r['part']} {r['row']}: {r['daxpool']} {fmt(r['daxpool_median'], r['unit'])}, "
              f"{r['peer']} {fmt(r['peer_median'], r['unit'])}, ratio {ratio_text(r)}{met}")


def markdown(rs, meta, d):
    m = meta
    L = [f"# daxpool bench report, {m['date']}", "",
         f"`bench/report --rounds {m['rounds']}` on {m['host']}. Every number below is measured in this run: "
         "medians of the rounds (P5 and P7's daxfs RAM per host: of both hosts' rounds); raw values in `report.json` and `results.txt`.", "",
         "**Read the ratios, not the absolute times.** The guests (P2 guest, P3–P7) run under QEMU TCG (no KVM): "
         "every instruction is emulated and emulated memory is far slower than real memory, so their absolute "
         "times say nothing about real hardware; ratios between file systems measured in the same boot are what "
         "count. The host rows (P1, P2 host) ran on a shared 2-core machine with other work running alongside "
         f"(load average {m['loadavg_start']} at the start, {m['loadavg_end']} at the end).", "",
         "Ratio: daxpool's median ÷ the peer's (time, size, memory: below 1 favours daxpool), except P2: "
         "`daxpool load` throughput ÷ memcpy throughput (= memcpy time ÷ load time; above 1 favours daxpool), "
         "and the P6 size rows: 1 GiB mount time ÷ 16 MiB mount time (1 = independent of size).", "",
         "| part | row | daxpool side | peer | **ratio** | goal | met | daxpool side (median) | peer (median) |",
         "|---|---|---|---|---|---|---|---|---|"]
    for r in rs:
        if not r["measured"]:
            L.append(f"| {r['part']} | {r['row']} | {r['daxpool']} | {r['peer']} | not run | {goal_text(r)} | | | |")
            continue
        met = "" if not r["goal"] else ("yes" if r["met"] else "**no**")
        L.append(f"| {r['part']} | {r['row']} | {r['daxpool']} | {r['peer']} | **{ratio_text(r)}** | "
                 f"{goal_text(r)} | {met} | {fmt(r['daxpool_median'], r['unit'])} | {fmt(r['peer_median'], r['unit'])} |")
    L += ["", "![ratios](report.png)", "", "## Inputs", ""]
    for t in TREES:
        e = d.values(part="P1", case="tree", tree=t, metric="entries")
        s = d.values(part="P1", case="tree", tree=t, metric="tree_mib")
        if e and s:
            L.append(f"- P1 tree {TREES[t]}: {int(e[0])} entries, {s[0]:.1f} MiB")
    for label, kw in (("P2 image (daxfs of /usr/include)", dict(part="P2", case="image", metric="image_mib")),
                      ("P5 tree", dict(part="P5", case="tree", metric="tree_mib")),
                      ("P5 daxfs image", dict(part="P5", case="daxfs", metric="image_mib")),
                      ("P6 daxfs 16 MiB image", dict(part="P6", case="daxfs-16", metric="image_mib")),
                      ("P6 daxfs 1 GiB image", dict(part="P6", case="daxfs-1g", metric="image_mib")),
                      ("P6 EROFS 16 MiB image", dict(part="P6", case="erofs-16", metric="image_mib")),
                      ("P6 EROFS 1 GiB image", dict(part="P6", case="erofs-1g", metric="image_mib")),
                      ("P7 daxfs image (Debian minbase + python3-minimal)", dict(part="P7", case="image", metric="image_mib")),
                      ("P7 bytes each container reads", dict(part="P7", case="containers", metric="read_mib")),
                      ("P7 tmpfs copy (du)", dict(part="P7", case="tmpfs-copy", metric="size_mib"))):
        v = d.values(**kw)
        if v:
            L.append(f"- {label}: {v[0]:.1f} MiB")
    hosts = d.hosts(part="P5", metric="cache_mib")
    if len(hosts) > 1:
        L += ["", "P5 per host (medians over the rounds):", ""]
        for h in hosts:
            parts = []
            for c in ("daxfs", "ext4", "tmpfs"):
                v = [x["value"] for x in d.r if x.get("part") == "P5" and x.get("case") == c
                     and x.get("metric") == "cache_mib" and x.get("host") == h]
                if v:
                    parts.append(f"{c} {statistics.median(v):.1f} MiB")
            L.append(f"- {h}: page cache " + ", ".join(parts))
    if d.values(part="P7", metric="used_mib"):
        L += ["", "P7 used RAM growth (MiB) and page-cache growth, medians over the rounds:", ""]
        med = lambda **kw: statistics.median(d.values(part="P7", **kw)) if d.values(part="P7", **kw) else None
        for c, cn in (("daxfs", "daxfs"), ("ext4", "ext4 copy"), ("tmpfs", "tmpfs copy")):
            parts = [f"{n} container{'' if n == '1' else 's'}: {fmt(med(case=c, metric='used_mib', n=n), 'MiB')} "
                     f"(page cache {fmt(med(case=c, metric='cache_mib', n=n), 'MiB')})"
                     for n in ("1", "16") if med(case=c, metric="used_mib", n=n) is not None]
            L.append(f"- one host, {cn}: " + ", ".join(parts))
        v = med(case="tmpfs-copy", metric="used_mib")
        if v is not None:
            L.append(f"- one host, making the tmpfs copy: {fmt(v, 'MiB')}")
        for h in d.hosts(part="P7", case="daxfs-two", metric="used_mib"):
            L.append(f"- two hosts, {h}, 16 containers over daxfs: {fmt(med(case='daxfs-two', metric='used_mib', host=h), 'MiB')} "
                     f"(page cache {fmt(med(case='daxfs-two', metric='cache_mib', host=h), 'MiB')})")
    L += ["", "## Machine and versions", "", "| | |", "|---|---|"]
    for k, v in m.items():
        L.append(f"| {k} | {v} |")
    L += ["", "## How each part was measured", ""] + [f"- {k}: {v}" for k, v in METHODS.items()]
    return "\n".join(L) + "\n"


def chart(rs, outdir, meta_date):
    dat = os.path.join(outdir, "report.dat")
    shown = [r for r in rs if r["measured"] and r["ratio"] is not None]
    with open(dat, "w") as f:
        for i, r in enumerate(shown):
            label = f"{r['part']} {r['row']} vs {r['peer']}".replace('"', "'")
            if r.get("ratio_kind"):
                label = f"{r['part']} {r['row']}"
            # log scale: a ratio of 0 (no page cache at all) is drawn at 0.01 and labelled 0
            color = 0x4477AA if not r["goal"] else (0x228833 if r["met"] else 0xCC3311)
            f.write(f"{i} {max(r['ratio'], 0.01):.6g} \"{label}\" \"{ratio_text(r)}\" {color}\n")
    n = len(shown)
    xmax = max([100.0] + [r["ratio"] * 4 for r in shown])
    gp = os.path.join(outdir, "report.gp")
    with open(gp, "w") as f:
        f.write(f"""set terminal pngcairo size 1400,{200 + 22 * n} font "sans,9"
set output "{os.path.join(outdir, 'report.png')}"
set termoption noenhanced
set title "daxpool bench {meta_date}: ratios of medians of measured values (1 = the same as the peer)\\ndaxpool / peer; P2: load throughput / memcpy throughput; P6 size rows: 1 GiB / 16 MiB\\ngreen: goal met, red: goal not met, blue: no goal stated"
set logscale x
set xrange [0.005:{xmax:g}]
set yrange [{n}:-1]
set ytics () nomirror
set grid x
set xlabel "ratio (log scale)"
set style fill solid 0.6
unset key
set arrow from 1, graph 0 to 1, graph 1 nohead lw 2 lc rgb "black"
plot "{dat}" using (sqrt($2 * 0.005)):1:(0.005):2:($1 - 0.35):($1 + 0.35):5:ytic(3) with boxxyerror lc rgb variable, \\
     "" using 2:1:4 with labels left offset 0.5,0 font "sans,8"
""")
    subprocess.run(["gnuplot", gp], check=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--text", action="store_true")
    ap.add_argument("--out")
    ap.add_argument("--meta")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    d = Data(load(a.files))
    rs = rows(d)
    if a.text or not a.out:
        text(rs)
        return
    meta = json.load(open(a.meta))
    with open(os.path.join(a.out, "report.md"), "w") as f:
        f.write(markdown(rs, meta, d))
    with open(os.path.join(a.out, "report.json"), "w") as f:
        json.dump({"meta": meta, "rows": rs, "results": d.r}, f, indent=1, ensure_ascii=False)
        f.write("\n")
    chart(rs, a.out, meta.get("date", ""))


if __name__ == "__main__":
    main()
