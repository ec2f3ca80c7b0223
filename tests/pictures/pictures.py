#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The pictures of tdxsim (docs/VMM.md "Trace pictures", docs/HOST.md "The memory map as a
picture"): `tdxsim run --trace-json` and `tdxsim host-init --svg`.

    pictures.py trace  TDXSIM GUEST...   exact trace events of known guests; errors; stops
    pictures.py svg    TDXSIM            exact SVG of two machines; errors; a failed bring-up
    pictures.py trace-viewer TDXSIM GUEST...   the traces loaded in headless Chromium
    pictures.py svg-viewer   TDXSIM            the maps rendered by headless Chromium

The guests, known by file name: exits.elf, smp.elf, attest.elf, hello.elf, stop_spin.elf. The first
two modes need no browser (suite 'tools'); the viewer modes (suite 'pictures') need
Chromium, which `make deps` installs (Debian package chromium), and fail saying so without.
"""
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
HOST_TID = 10000
FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL: " + what, flush=True)


def equal(got, want, what):
    check(got == want, "%s: got %r, want %r" % (what, got, want))


def run(argv, timeout=120, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)


# ---- trace events ------------------------------------------------------------------------

def load_trace(path):
    with open(path) as f:
        d = json.load(f)
    equal(sorted(d), ["displayTimeUnit", "otherData", "traceEvents"], path + " keys")
    equal(d["displayTimeUnit"], "ns", path + " displayTimeUnit")
    return d


def by(events, **kw):
    return [e for e in events if all(e.get(k) == v for k, v in kw.items())]


def trace_run(tdxsim, guest, tmp, *opts, name="t.json"):
    path = os.path.join(tmp, name)
    p = run([tdxsim, "run", guest, "--trace-json", path] + list(opts))
    return p, path


def test_exits(tdxsim, d, tmp):
    """exits.elf: exactly a port write, an MMIO read and a halt on vCPU 0's track."""
    lines = os.path.join(tmp, "exits.jsonl")
    p, path = trace_run(tdxsim, d["exits.elf"], tmp, "--trace", lines, "--quiet")
    equal(p.returncode, 126, "exits.elf status (halted for good: no progress)")
    t = load_trace(path)
    ev = t["traceEvents"]
    equal(t["otherData"]["vcpus"], 1, "otherData.vcpus")
    meta = [(e["tid"], e["name"], e["args"]) for e in by(ev, ph="M")]
    equal(meta, [(HOST_TID, "process_name", {"name": "tdxsim run exits.elf"}),
                 (HOST_TID, "thread_name", {"name": "host: SEAMCALLs, the TD's stop"}),
                 (HOST_TID, "thread_sort_index", {"sort_index": 0}),
                 (1, "thread_name", {"name": "vCPU 0"}),
                 (1, "thread_sort_index", {"sort_index": 1})], "metadata")
    equal(sorted({e["tid"] for e in ev}), [1, HOST_TID], "tracks")
    v0 = sorted(by(ev, tid=1), key=lambda e: e["ts"])
    exits = by(v0, cat="exit")
    equal([e["name"] for e in exits],
          ["TDCALL Instruction.IO", "TDCALL #VE.RequestMMIO", "TDCALL Instruction.HLT"],
          "vCPU 0's exits")
    if len(exits) == 3:
        a = exits[0]["args"]
        equal({k: a[k] for k in ("reason", "tdvmcall", "port", "size", "direction", "value",
                                 "r10", "r11", "r12", "r13", "r14", "r15")},
              {"reason": "TDCALL", "tdvmcall": "Instruction.IO", "port": "0x80", "size": 1,
               "direction": "write", "value": "0x5a", "r10": "0x0", "r11": "0x1e",
               "r12": "0x1", "r13": "0x1", "r14": "0x80", "r15": "0x5a"}, "the port write")
        a = exits[1]["args"]
        equal({k: a[k] for k in ("tdvmcall", "gpa", "size", "direction", "r11")},
              {"tdvmcall": "#VE.RequestMMIO", "gpa": "0x8000fed00000", "size": 4,
               "direction": "read", "r11": "0x30"}, "the MMIO read")
        check("value" not in a, "an MMIO read has no value")
        equal(exits[2]["args"]["interrupts_blocked"], 1, "the halt's interrupts_blocked")
        for e in exits:
            equal(e["args"]["status"], "0x4d", e["name"] + " status (TDCALL exit)")
    guest = by(v0, cat="guest")
    equal([g["args"]["entry"] for g in guest], [1, 2, 3], "guest slices")
    for g, x in zip(guest, exits):
        check(abs(g["ts"] + g["dur"] - x["ts"]) < 0.002, "guest slice %d ends at its exit"
              % g["args"]["entry"])
    for x, g in zip(exits, guest[1:]):
        check(abs(x["ts"] + x["dur"] - g["ts"]) < 0.002, x["name"] + " ends at the entry")
        check(x["dur"] > 0, x["name"] + " takes time")
    halted = by(v0, cat="halt")
    stop = by(ev, cat="stop")
    equal([(h["name"], h["ph"]) for h in halted], [("halted", "X")], "one halted slice")
    equal([(s["name"], s["s"], s["tid"], s["args"]["vcpu"]) for s in stop],
          [("TD stopped: no progress", "g", HOST_TID, 0)], "the stop")
    if halted and stop and len(exits) == 3:
        equal((halted[0]["ts"], halted[0]["dur"]), (exits[2]["ts"], exits[2]["dur"]),
              "halted spans the halt's exit")
        check(abs(halted[0]["ts"] + halted[0]["dur"] - stop[0]["ts"]) < 0.002,
              "halted until the TD stopped")
    ves = by(v0, cat="ve")
    equal([(v["name"], v["args"]["qual"], v["args"]["gpa"]) for v in ves],
          [("#VE IO_INSTRUCTION", "0x800000", "0x0"),
           ("#VE EPT_VIOLATION", "0x181", "0x8000fed00000")], "#VEs")
    for v, g in zip(ves, guest):
        check(g["ts"] <= v["ts"] <= g["ts"] + g["dur"], v["name"] + " in its guest slice")
    equal([e["name"] for e in by(v0, cat="tdcall")],
          ["TDG.VP.INFO", "TDG.VP.VEINFO.GET", "TDG.VP.VEINFO.GET"], "TDCALLs in the TD")
    equal(sorted({e["cat"] for e in v0 if e["ph"] != "M"}), ["exit", "guest", "halt", "tdcall", "ve"],
          "vCPU 0's categories")
    # --trace got the same lines, whole: as many SEAMCALLs, the three exits, the stop.
    with open(lines) as f:
        jl = [json.loads(line) for line in f]
    equal(len([x for x in jl if "seamcall" in x]), len(by(ev, cat="seamcall")),
          "SEAMCALLs in both")
    equal([x["exit"] for x in jl if "exit" in x], ["TDCALL"] * 3, "exit lines of --trace")
    equal([x["stop"] for x in jl if "stop" in x], ["no progress"], "stop line of --trace")
    return path


def test_smp(tdxsim, d, tmp):
    """smp.elf on 4 vCPUs: a track each, vCPU 0 wakes the APs with IPIs, each AP reports."""
    p, path = trace_run(tdxsim, d["smp.elf"], tmp, "--vcpus", "4", name="s.json")
    equal(p.returncode, 0, "smp.elf status")
    ev = load_trace(path)["traceEvents"]
    names = {e["tid"]: e["args"]["name"] for e in by(ev, ph="M", name="thread_name")}
    equal(names, {HOST_TID: "host: SEAMCALLs, the TD's stop", 1: "vCPU 0", 2: "vCPU 1",
                  3: "vCPU 2", 4: "vCPU 3"}, "thread names")
    ipis = sorted((e["tid"] - 1, e["name"], e["args"]["vector"]) for e in by(ev, cat="ipi", ph="i"))
    equal([(v, n) for v, n, _ in ipis],
          [(0, "IPI to vCPU 1"), (0, "IPI to vCPU 2"), (0, "IPI to vCPU 3"),
           (1, "IPI to vCPU 0"), (2, "IPI to vCPU 0"), (3, "IPI to vCPU 0")], "IPIs")
    equal([vec for v, _, vec in ipis if v == 0], [0xF0] * 3, "wake-up vector (0xF0)")
    # An arrow (flow) from each IPI to its target's next entry into the guest.
    starts = {e["id"]: e for e in by(ev, ph="s")}
    ends = {e["id"]: e for e in by(ev, ph="f")}
    equal(sorted(starts), sorted(ends), "IPI arrows start and end")
    equal(sorted((e["tid"] - 1, ends[i]["tid"] - 1) for i, e in starts.items() if i in ends),
          [(0, 1), (0, 2), (0, 3), (1, 0), (2, 0), (3, 0)], "IPI arrows from, to")
    for i, e in starts.items():
        f = ends.get(i)
        if not f:
            continue
        check(f["ts"] >= e["ts"] and f["bp"] == "e", "arrow %d after its IPI" % i)
        check(any(g["ts"] == f["ts"] for g in by(ev, cat="guest", tid=f["tid"])),
              "arrow %d ends where a guest slice starts" % i)
    sent = sum(int(n) for n in re.findall(r"(\d+) IPIs sent", p.stderr))
    equal(len(ipis), sent, "IPIs in the trace = the summary's")
    for v in range(4):
        tr = by(ev, tid=v + 1)
        g, x = by(tr, cat="guest"), by(tr, cat="exit")
        entries = re.search(r"vCPU %d \(LP \d+\): (\d+) entries" % v, p.stderr)
        equal(len(g), int(entries.group(1)) if entries else -1, "vCPU %d guest slices" % v)
        equal(len(x), len(g), "vCPU %d exit slices" % v)
    return path


def elf_symbol(path, name):
    """The value of symbol `name` in the ELF64 file at `path` (its .symtab), or None."""
    with open(path, "rb") as f:
        elf = f.read()
    shoff, = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", elf, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", elf, shoff + i * shentsize)
                for i in range(shnum)]
    for _, kind, _, _, off, size, link, _, _, entsize in sections:
        if kind != 2:  # SHT_SYMTAB
            continue
        stroff = sections[link][4]
        for pos in range(off, off + size, entsize):
            st_name, _, _, _, value, _ = struct.unpack_from("<IBBHQQ", elf, pos)
            end = elf.index(b"\0", stroff + st_name)
            if elf[stroff + st_name:end] == name.encode():
                return value
    return None


def header_define(rel, name):
    """A #define's integer value from a header of this repository."""
    with open(os.path.join(HERE, "..", "..", rel)) as f:
        m = re.search(r"#define\s+%s\s+(0x[0-9a-fA-F]+|\d+)" % name, f.read())
    return int(m.group(1), 0)


def test_map_gpa(tdxsim, d, tmp):
    """attest.elf shares its quote buffer (the SDK's quote_buf, two pages, loaded at
    VMM_IMAGE_GPA + its link address): one MapGPA to shared, with its range; GetQuote then
    names the same buffer by its shared GPA."""
    p, path = trace_run(tdxsim, d["attest.elf"], tmp, "--quiet", name="a.json")
    equal(p.returncode, 0, "attest.elf status")
    ev = load_trace(path)["traceEvents"]
    sym = elf_symbol(d["attest.elf"], "quote_buf")
    check(sym is not None, "attest.elf has the symbol quote_buf")
    start = header_define("include/tdxsim/vmm.h", "VMM_IMAGE_GPA") + (sym or 0)
    m = by(ev, cat="map_gpa")
    equal([(e["tid"], e["name"], e["args"]["direction"], e["args"]["start"], e["args"]["end"],
            e["args"]["size"]) for e in m],
          [(1, "MapGPA to shared", "to shared", hex(start), hex(start + 0x2000), "0x2000")],
          "MapGPA")
    q = by(ev, cat="exit", name="TDCALL GetQuote")
    equal([int(e["args"]["r12"], 16) & ~(1 << 47) for e in q], [start],
          "GetQuote's buffer (R12 without the shared bit, GPAW 48)")
    x = by(ev, cat="exit", name="TDCALL MapGPA")
    equal(len(x), 1, "its exit")
    if m and x:
        equal(x[0]["ts"], m[0]["ts"], "the MapGPA instant at its exit")


def test_stops(tdxsim, d, tmp):
    """--timeout, SIGINT, two SIGINTs: the file is one JSON value every time."""
    spin = d["stop_spin.elf"]
    p, path = trace_run(tdxsim, spin, tmp, "--vcpus", "2", "--timeout", "0.3", "--quiet",
                        name="timeout.json")
    equal(p.returncode, 124, "--timeout status")
    ev = load_trace(path)["traceEvents"]
    equal([e["name"] for e in by(ev, cat="stop")], ["TD stopped: interrupted"], "timeout stop")
    for signals, status in ((1, 130), (2, 130)):
        path = os.path.join(tmp, "sig%d.json" % signals)
        errf = open(os.path.join(tmp, "sig%d.err" % signals), "w+")
        proc = subprocess.Popen([tdxsim, "run", spin, "--vcpus", "2", "--trace-json", path],
                                stdout=subprocess.DEVNULL, stderr=errf)
        deadline = time.time() + 60
        # Running once the image is placed (stderr says where), and a little more.
        while time.time() < deadline and proc.poll() is None:
            time.sleep(0.1)
            errf.seek(0)
            if "tdxsim: guest image at" in errf.read():
                time.sleep(0.3)
                break
        for _ in range(signals):
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        errf.close()
        equal(proc.returncode, status, "%d SIGINT status" % signals)
        try:
            ev = load_trace(path)["traceEvents"]
            check(len(by(ev, cat="guest")) > 0, "%d SIGINT: guest slices" % signals)
        except ValueError as e:
            check(False, "%d SIGINT: not JSON: %s" % (signals, e))


def test_errors(tdxsim, d, tmp):
    hello = d["hello.elf"]
    exits = d["exits.elf"]
    bad = os.path.join(tmp, "no-such-dir", "t.json")
    p = run([tdxsim, "run", exits, "--trace-json", bad])
    equal((p.returncode, p.stdout, p.stderr),
          (125, "", "tdxsim: --trace-json %s: No such file or directory\n" % bad),
          "unopenable --trace-json")
    p = run([tdxsim, "run", exits, "--trace-json", exits])
    equal((p.returncode, p.stderr),
          (125, "tdxsim: --trace-json %s: that is the guest image %s; not overwriting it\n"
           % (exits, exits)), "--trace-json naming the guest")
    same = os.path.join(tmp, "same.json")
    p = run([tdxsim, "run", exits, "--trace", same, "--trace-json", same])
    equal((p.returncode, p.stderr),
          (125, "tdxsim: --trace-json %s: that is --trace's file too; give each its own\n"
           % same), "--trace and --trace-json on one file")
    p = run([tdxsim, "measure", exits, "--trace-json", same])
    equal((p.returncode, p.stderr),
          (125, "tdxsim: --trace-json is an option of run, not of measure\n"), "measure")
    p = run([tdxsim, "run", hello, "--trace-json", "/dev/full", "--quiet"])
    equal(p.returncode, 125, "--trace-json /dev/full status")
    check(p.stderr.endswith("tdxsim: --trace-json /dev/full: No space left on device; the "
                            "trace is incomplete\n"), "--trace-json /dev/full: " + p.stderr)
    check(p.stdout.startswith("hello from a TD"), "the guest ran: " + p.stdout[:40])
    # A bring-up that fails (the BIOS left TDX off): the tracks, no events, one JSON value.
    cfg = os.path.join(tmp, "off.cfg")
    with open(cfg, "w") as f:
        f.write("seamrr = off\n")
    off = os.path.join(tmp, "off.json")
    p = run([tdxsim, "run", exits, "--machine", cfg, "--trace-json", off, "--quiet"])
    equal(p.returncode, 125, "failed bring-up status")
    equal([e["name"] for e in load_trace(off)["traceEvents"]],
          ["process_name", "thread_name", "thread_sort_index", "thread_name",
           "thread_sort_index"], "failed bring-up: the tracks only")
    p = run([tdxsim, "run", "--help"])
    check("--trace-json F" in p.stdout and "ui.perfetto.dev" in p.stdout, "run --help")


def mode_trace(tdxsim, d):
    with tempfile.TemporaryDirectory(prefix="tdxsim-pictures-") as tmp:
        test_exits(tdxsim, d, tmp)
        test_smp(tdxsim, d, tmp)
        test_map_gpa(tdxsim, d, tmp)
        test_stops(tdxsim, d, tmp)
        test_errors(tdxsim, d, tmp)


# ---- the memory map ----------------------------------------------------------------------

SVG_NS = "{http://www.w3.org/2000/svg}"
LAYOUT = re.compile(r"tdx: TDMR (\d+): \[(0x[0-9a-f]+), (0x[0-9a-f]+)\) (\S+ \S+), "
                    r"PAMT \[(0x[0-9a-f]+), \+(\S+ \S+)\)")
RESERVED = re.compile(r"tdx:   reserved \[(0x[0-9a-f]+), (0x[0-9a-f]+)\) (\S+ \S+)")


def host_init_svg(tdxsim, machine, path):
    p = run([tdxsim, "host-init", "--machine", machine, "--svg", path], timeout=300)
    equal(p.returncode, 0, "host-init --machine %s status" % machine)
    tdmrs, reserved = [], []
    for line in p.stdout.splitlines():
        m = LAYOUT.match(line)
        if m:
            i, s, e, sz, base, psz = m.groups()
            tdmrs.append((i, hex(int(s, 16)), hex(int(e, 16)), sz, hex(int(base, 16)), psz))
            reserved.append([])
        m = RESERVED.match(line)
        if m:
            s, e, sz = m.groups()
            reserved[-1].append((hex(int(s, 16)), hex(int(e, 16)), sz))
    return p, tdmrs, reserved


def fmt_size(n):
    """As the host's log and the picture write sizes."""
    if n >= 1 << 30:
        return "%.1f GiB" % (n / (1 << 30))
    if n >= 1 << 20:
        return "%.1f MiB" % (n / (1 << 20))
    return "%d KiB" % (n >> 10)


def regions(root, cls):
    out = []
    for g in root.iter(SVG_NS + "g"):
        if g.get("class") == "region " + cls:
            texts = [t.text for t in g.findall(SVG_NS + "text")]
            rect = g.find(SVG_NS + "rect")
            out.append({"start": g.get("data-start"), "end": g.get("data-end"),
                        "size": g.get("data-size"), "texts": texts,
                        "title": g.find(SVG_NS + "title").text,
                        "x": float(rect.get("x")), "w": float(rect.get("width"))})
    return out


def test_svg_machine(tdxsim, machine, tmp, nr_ram, nr_tdmrs):
    import xml.etree.ElementTree as ET
    path = os.path.join(tmp, machine + ".svg")
    p, tdmrs, reserved = host_init_svg(tdxsim, machine, path)
    equal(len(tdmrs), nr_tdmrs, machine + ": TDMRs in the log")
    root = ET.parse(path).getroot()
    equal(root.tag, SVG_NS + "svg", machine + ": an SVG")
    t = regions(root, "tdmr")
    equal([(r["start"], r["end"], r["texts"]) for r in t],
          [(s, e, ["TDMR " + i, sz]) for i, s, e, sz, _, _ in tdmrs], machine + ": TDMR boxes")
    res = regions(root, "reserved")
    equal([(r["start"], r["end"], r["size"]) for r in res],
          [x for rs in reserved for x in rs], machine + ": reserved areas")
    pamt = regions(root, "pamt")
    equal(len(pamt), 3 * len(tdmrs), machine + ": three PAMT parts per TDMR")
    for i, (_, _, _, _, base, size) in enumerate(tdmrs):
        parts = [r for r in pamt if r["texts"][1:2] == ["of TDMR %d" % i]]
        equal([r["texts"][0] for r in parts], ["PAMT 4K", "PAMT 2M", "PAMT 1G"],
              machine + ": PAMT parts of TDMR %d" % i)
        lo = min(int(r["start"], 16) for r in parts)
        hi = max(int(r["end"], 16) for r in parts)
        total = sum(int(r["end"], 16) - int(r["start"], 16) for r in parts)
        equal((hex(lo), hi - lo), (base, total), machine + ": TDMR %d's PAMT in one piece" % i)
        equal(fmt_size(total), size, machine + ": TDMR %d's PAMT size" % i)
    equal(len(regions(root, "ram")), nr_ram, machine + ": RAM ranges")
    equal(len(regions(root, "cmr")), nr_ram, machine + ": a CMR per RAM range")
    legend = [g.get("class") for g in root.iter(SVG_NS + "g")
              if (g.get("class") or "").startswith("legend-item")]
    equal(legend, ["legend-item " + k for k in ("ram", "hole", "cmr", "tdmr", "reserved",
                                                "pamt")], machine + ": legend")
    scale = " ".join(t.text for t in root.iter(SVG_NS + "text") if t.get("class") == "scale")
    check("logarithmic" in scale and "80 px" in scale, machine + ": the scale is said")
    ticks = [t.text for t in root.iter(SVG_NS + "text") if t.get("class") == "tick"]
    equal(ticks, [hex(v) for v in sorted({int(t, 16) for t in ticks})], machine + ": ticks")
    for kind in ("ram", "hole", "cmr", "tdmr", "reserved", "pamt"):
        for r in regions(root, kind):
            check(r["w"] >= 80, "%s: %s %s is %.1f px wide" % (machine, kind, r["start"],
                                                              r["w"]))
    return path


def mode_svg(tdxsim):
    import xml.etree.ElementTree as ET
    with tempfile.TemporaryDirectory(prefix="tdxsim-pictures-") as tmp:
        test_svg_machine(tdxsim, "laptop", tmp, 3, 2)
        test_svg_machine(tdxsim, "2s-224lp-1t", tmp, 4, 3)
        bad = os.path.join(tmp, "no-such-dir", "m.svg")
        p = run([tdxsim, "host-init", "--svg", bad])
        equal((p.returncode, p.stdout, p.stderr),
              (125, "", "tdxsim: --svg %s: No such file or directory\n" % bad),
              "unopenable --svg")
        p = run([tdxsim, "host-init", "--svg", "/dev/full"])
        equal((p.returncode, p.stderr.splitlines()[-1:]),
              (125, ["tdxsim: --svg /dev/full: No space left on device; the picture is "
                     "incomplete"]), "--svg /dev/full")
        failed = os.path.join(tmp, "failed.svg")
        p = run([tdxsim, "host-init", "--inject", "TDH.SYS.KEY.CONFIG:1=KEY_GENERATION_FAILED",
                 "--svg", failed])
        equal(p.returncode, 125, "failed bring-up status")
        root = ET.parse(failed).getroot()
        equal([len(regions(root, k)) for k in ("ram", "cmr", "tdmr", "pamt")], [3, 0, 0, 0],
              "a failed bring-up draws the RAM only")
        note = [t.text for t in root.iter(SVG_NS + "text") if t.get("class") == "note"]
        check(note and note[0].startswith("tdx_enable() failed ("), "the note says: %r" % note)
        p = run([tdxsim, "host-init", "--help"])
        check("--svg FILE" in p.stdout, "host-init --help")


# ---- in a real viewer --------------------------------------------------------------------

def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    print("pictures: Chromium is not installed. These tests load the pictures in a real "
          "browser (headless Chromium); `make deps` installs it (Debian package chromium). "
          "The other tests do not need it.", file=sys.stderr)
    sys.exit(1)


def browse(browser, tmp, *args):
    argv = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--user-data-dir=" + os.path.join(tmp, "profile")] + list(args)
    p = run(argv, timeout=180)
    check(p.returncode == 0, "chromium %s: status %d: %s" % (args[0], p.returncode,
                                                             p.stderr[-500:]))
    return p.stdout


def page(tmp, name, template, **subst):
    with open(os.path.join(HERE, template)) as f:
        html = f.read()
    for k, v in subst.items():
        html = html.replace("@" + k + "@", v)
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(html)
    return path


def verdict(dom, what):
    m = re.search(r'<pre id="verdict">(.*?)</pre>', dom, re.S)
    check(m is not None, what + ": no verdict in the page: " + dom[-300:])
    if not m:
        return None
    text = m.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    check(text.startswith("PASS"), what + ": " + text)
    try:
        return json.loads(text[4:]) if text.startswith("PASS") else None
    except ValueError:
        check(False, what + ": verdict not JSON: " + text)
        return None


def mode_trace_viewer(tdxsim, d):
    browser = chromium()
    with tempfile.TemporaryDirectory(prefix="tdxsim-pictures-") as tmp:
        traces = [("exits", test_exits(tdxsim, d, tmp)), ("smp", test_smp(tdxsim, d, tmp))]
        p, path = trace_run(tdxsim, d["stop_spin.elf"], tmp, "--vcpus", "2",
                            "--timeout", "0.3", "--quiet", name="timeout.json")
        traces.append(("timeout", path))
        for name, path in traces:
            with open(path) as f:
                text = f.read()
            ev = json.loads(text)["traceEvents"]
            html = page(tmp, name + ".html", "trace_viewer.html",
                        TRACE=text.replace("</", "<\\/"))
            v = verdict(browse(browser, tmp, "--dump-dom", "file://" + html), name)
            if v is None:
                continue
            tracks = {e["tid"]: e["args"]["name"] for e in ev
                      if e["ph"] == "M" and e["name"] == "thread_name"}
            equal(v["events"], len(ev), name + ": events the page read")
            equal(v["arrows"], len([e for e in ev if e["ph"] == "f"]), name + ": arrows")
            equal(v["tracks"], sorted(tracks.values()), name + ": tracks the page found")
            for tid, tname in tracks.items():
                equal(v["slices"].get(tname, 0), len([e for e in ev if e["tid"] == tid
                                                      and e["ph"] == "X"]),
                      name + ": slices on " + tname)


def png_pixels(path):
    """(width, height, rows of RGB(A) bytes) of an 8-bit non-interlaced PNG."""
    with open(path, "rb") as f:
        data = f.read()
    check(data[:8] == b"\x89PNG\r\n\x1a\n", path + " is a PNG")
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            check(depth == 8 and ctype in (2, 6) and interlace == 0, "PNG kind %d/%d/%d"
                  % (depth, ctype, interlace))
            bpp = 4 if ctype == 6 else 3
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        ft = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if ft == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif ft == 2:
            for i in range(stride):
                line[i] = (line[i] + prev[i]) & 255
        elif ft == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif ft == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], prev[i - bpp] if i >= bpp else 0
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                pr = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pr) & 255
        rows.append(line)
        prev = line
    return w, h, bpp, rows


def mode_svg_viewer(tdxsim):
    browser = chromium()
    with tempfile.TemporaryDirectory(prefix="tdxsim-pictures-") as tmp:
        for machine in ("laptop", "2s-224lp-1t"):
            path = os.path.join(tmp, machine + ".svg")
            _, tdmrs, _ = host_init_svg(tdxsim, machine, path)
            with open(path) as f:
                svg = f.read()
            expect = [["TDMR " + i, sz] for i, _, _, sz, _, _ in tdmrs]
            html = page(tmp, machine + ".html", "svg_viewer.html",
                        SVG=svg.split("?>", 1)[1], EXPECT=json.dumps(expect))
            v = verdict(browse(browser, tmp, "--dump-dom", "file://" + html), machine)
            if v is not None:
                equal(v["tdmrs"], expect, machine + ": TDMR boxes as drawn")
            # The SVG file itself, rendered: every colour of the legend is on the picture.
            m = re.search(r'<svg [^>]*width="(\d+)" height="(\d+)"', svg)
            png = os.path.join(tmp, machine + ".png")
            # At half scale: a quarter of the pixels to decode, the fills still pure.
            browse(browser, tmp, "--screenshot=" + png, "--force-device-scale-factor=0.5",
                   "--window-size=%s,%s" % (m.group(1), m.group(2)), "file://" + path)
            if not os.path.exists(png):
                check(False, machine + ": no screenshot")
                continue
            w, h, bpp, rows = png_pixels(png)
            equal((w, h), ((int(m.group(1)) + 1) // 2, (int(m.group(2)) + 1) // 2),
                  machine + ": screenshot size")
            seen, white = set(), 0
            for line in rows:
                px = list(zip(line[0::bpp], line[1::bpp], line[2::bpp]))
                seen.update(px)
                white += px.count((255, 255, 255))
            check(white < w * h * 0.95, machine + ": the picture is not blank")
            for colour in ("9ecae1", "a1d99b", "fdae6b", "bcbddc", "fcbba1", "f0f0f0"):
                check(tuple(bytes.fromhex(colour)) in seen, "%s: #%s is drawn" % (machine, colour))


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    mode, tdxsim = sys.argv[1], sys.argv[2]
    guests = {os.path.basename(g): g for g in sys.argv[3:]}
    if mode == "trace":
        mode_trace(tdxsim, guests)
    elif mode == "svg":
        mode_svg(tdxsim)
    elif mode == "trace-viewer":
        mode_trace_viewer(tdxsim, guests)
    elif mode == "svg-viewer":
        mode_svg_viewer(tdxsim)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print("%s: %d failed" % (mode, len(FAILURES)))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
