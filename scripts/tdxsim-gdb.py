# SPDX-License-Identifier: MIT
"""gdb support for tdxsim: debug the guest of `tdxsim run` at source level.

    gdb -x scripts/tdxsim-gdb.py --args build/tools/tdxsim run GUEST.elf [options]
    (or: build/tools/tdxsim run GUEST.elf [options] --gdb, which does the same)

Guest code runs natively in the tdxsim process, in the TD's window, and the machine turns
what the guest cannot do at CPL3 into signals (docs/ARCHITECTURE.md). This script makes gdb
live with that:

- SIGSEGV, SIGILL, SIGFPE, SIGBUS and the kick/timer signal (SIGRTMIN+3) are the machine's:
  gdb passes them on without stopping.
- SIGTRAP stays gdb's own (its breakpoints and steps). `handle SIGTRAP pass`, the obvious
  setting, makes gdb hand every trap of its own to the program too, from the dynamic
  loader's breakpoint before tdxsim has a handler (the process dies of SIGTRAP) to every
  breakpoint hit and step later. Single-step traps of the program's own (EFLAGS.TF set by
  the program, which ptrace shows only then: the machine ends an STI shadow so, and a guest
  may single-step itself) are forwarded one by one by a catchpoint whose condition
  recognises them (when gdb's own step coincides, it clears TF instead: passing the signal
  would have gdb's step enter the handler). The guest's own INT3 stops in gdb like a breakpoint compiled into a
  program: `continue` resumes after it, `signal SIGTRAP` delivers #BP to the guest's IDT,
  as without gdb.
- tdxsim calls tdxsim_debug_image_event() (vmm/debug.h) once a guest image is in the
  window and before it goes away; a breakpoint there loads the guest's symbols at the right
  address (add-symbol-file -o BIAS) or removes them, and with that, breakpoints set before
  `run` on guest functions resolve.
- Then the guest's `main` (not tdxsim's) gets a temporary breakpoint, so `run` stops there;
  `set tdxsim-stop-in-main off` before `run` to run through.
- Guest breakpoints are hardware breakpoints: the guest's text is declared read-only to gdb,
  so gdb never writes INT3 into it. The machine decodes guest instructions from memory
  (a #VE's MMIO access, a trapped TDCALL); an INT3 written there by gdb would be decoded
  instead. x86 has four debug registers, so at most four guest breakpoints at a time.
- tdxsim leaves SIGINT to gdb when TDXSIM_DEBUGGER is set (the script sets it), so Ctrl-C
  stops the program in gdb instead of stopping the TD; the script then selects the first
  thread that is in guest code.
- `tdxsim-quit` leaves gdb with the guest's exit status when the program ran to its end.
"""

import gdb

EVENT_SITE = "tdxsim_debug_image_event"
IMAGE_LOADED, IMAGE_UNLOADED = 1, 2
SI_KERNEL, TRAP_TRACE = 0x80, 2
EFLAGS_TF = 0x100

# Loaded guest images: path -> (bias, text_lo, text_hi).
images = {}


class StopInMain(gdb.Parameter):
    """Whether `run` stops in the guest's main once its image is loaded."""

    set_doc = "Set whether tdxsim stops in the guest's main."
    show_doc = "Show whether tdxsim stops in the guest's main."

    def __init__(self):
        super().__init__("tdxsim-stop-in-main", gdb.COMMAND_RUNNING, gdb.PARAM_BOOLEAN)
        self.value = True

    def get_show_string(self, svalue):
        return "Stopping in the guest's main is " + svalue + "."


stop_in_main = StopInMain()


def in_guest_text(pc):
    return any(lo <= pc < hi for _, lo, hi in images.values())


def guest_main_location(path):
    """An explicit location for the guest's main: its source file and name."""
    for objfile in gdb.objfiles():
        if objfile.filename != path:
            continue
        sym = objfile.lookup_global_symbol("main")
        if sym is None or sym.symtab is None:
            return None
        return "-source %s -function main" % sym.symtab.fullname()
    return None


class ImageEvent(gdb.Breakpoint):
    """tdxsim_debug_image_event(event, path, bias, text_lo, text_hi): at its first
    instruction the arguments are in RDI, RSI, RDX, RCX, R8."""

    def __init__(self):
        super().__init__("*" + EVENT_SITE, internal=True)

    def stop(self):
        def reg(name):
            return int(gdb.parse_and_eval("$" + name)) & 0xFFFFFFFFFFFFFFFF

        event, bias, lo, hi = reg("rdi"), reg("rdx"), reg("rcx"), reg("r8")
        path = gdb.parse_and_eval("(const char *)$rsi").string()
        if event == IMAGE_LOADED:
            images[path] = (bias, lo, hi)
            if hi > lo:
                # Read-only to gdb: breakpoints there become hardware ones (auto-hw).
                gdb.execute("mem 0x%x 0x%x ro" % (lo, hi), to_string=True)
            gdb.execute("add-symbol-file %s -o 0x%x" % (path, bias), to_string=True)
            print("tdxsim: guest %s loaded at 0x%x" % (path, bias))
            where = guest_main_location(path) if stop_in_main.value else None
            if where:
                gdb.Breakpoint(where, temporary=True)
        elif event == IMAGE_UNLOADED and path in images:
            _, lo, hi = images.pop(path)
            for region in gdb.execute("info mem", to_string=True).splitlines():
                fields = region.split()  # Num Enb Low High Attrs
                if (len(fields) > 3 and fields[0].isdigit() and int(fields[2], 16) == lo
                        and int(fields[3], 16) == hi):
                    gdb.execute("delete mem " + fields[0], to_string=True)
            gdb.execute("remove-symbol-file -a 0x%x" % lo, to_string=True)
        return False


# The machine's single-step traps go to the program. The catchpoint's condition runs for
# every SIGTRAP stop, before gdb decides whether to pass the signal on: for one of the
# machine's it lets SIGTRAP pass and declines to stop; for any other it makes sure SIGTRAP
# does not pass and declines too, so that gdb's own breakpoints and steps are explained
# without it and anything else stops as a signal. Each SIGTRAP event sets the state for
# itself; a stop or a resume by the user puts it back.
passing = False


def set_sigtrap_pass(on):
    global passing
    if on != passing:
        passing = on
        gdb.execute("handle SIGTRAP %s" % ("nostop noprint pass" if on else "stop print nopass"),
                    to_string=True)


def restore_sigtrap(_event=None):
    set_sigtrap_pass(False)


class MachineTrap(gdb.Function):
    """$_tdxsim_machine_trap(): whether to stop for this SIGTRAP. SIGTRAP passes to the
    program exactly when it is the machine's own single-step trap; the program's own INT3
    stops here, with the PC after it as the program sees it."""

    def __init__(self):
        super().__init__("_tdxsim_machine_trap")

    def invoke(self):
        try:
            code = int(gdb.parse_and_eval("$_siginfo.si_code"))
            eflags = int(gdb.parse_and_eval("$eflags"))
            pc = int(gdb.parse_and_eval("$pc"))
        except gdb.error:
            code = eflags = pc = 0
        machine_step = code == TRAP_TRACE and bool(eflags & EFLAGS_TF)
        if machine_step and stepping:
            # The machine's step and gdb's at once: passing the signal would have gdb's
            # step enter the handler. TF goes instead; the machine ends the STI shadow at
            # the guest's next stop (it checks at every one), a little later than without gdb.
            gdb.execute("set var $eflags = 0x%x" % (eflags & ~EFLAGS_TF), to_string=True)
            machine_step = False
        set_sigtrap_pass(machine_step)
        if code != SI_KERNEL or not pc:
            return 0
        # gdb has moved the PC back onto the INT3 as for a breakpoint of its own; gdb's own
        # read it as the instruction they replace (and guest code has none: they are
        # hardware ones), so an 0xCC read there is the program's.
        try:
            if gdb.selected_inferior().read_memory(pc, 1).tobytes() != b"\xcc":
                return 0
        except gdb.MemoryError:
            return 0
        gdb.execute("set var $pc = 0x%x" % (pc + 1), to_string=True)
        if in_guest_text(pc):
            print("tdxsim: the guest's own INT3: `continue` resumes after it, "
                  "`signal SIGTRAP` delivers #BP to the guest's IDT")
        return 1


def select_guest_thread():
    """After Ctrl-C (SIGINT goes to tdxsim's main thread), show the first thread that is
    in guest code, if any."""
    start = gdb.selected_thread()
    for thread in sorted(gdb.selected_inferior().threads(), key=lambda t: t.num):
        thread.switch()
        try:
            pc = int(gdb.parse_and_eval("$pc"))
        except gdb.error:
            continue
        if in_guest_text(pc):
            print("tdxsim: thread %d runs the guest:" % thread.num)
            gdb.execute("frame")
            return
    if start is not None and start.is_valid():
        start.switch()


# Whether the user's last command steps (step, next, stepi, nexti, until): set by hooks on
# those commands, cleared at every stop.
stepping = False


class Stepping(gdb.Command):
    """tdxsim-stepping: the hooks of the stepping commands call it."""

    def __init__(self):
        super().__init__("tdxsim-stepping", gdb.COMMAND_RUNNING)

    def invoke(self, arg, from_tty):
        global stepping
        stepping = True


def on_stop(event):
    global stepping
    stepping = False
    restore_sigtrap()
    if isinstance(event, gdb.SignalEvent) and event.stop_signal == "SIGINT" and images:
        select_guest_thread()


class Quit(gdb.Command):
    """tdxsim-quit: leave gdb; with the guest's exit status when tdxsim ran to its end."""

    def __init__(self):
        super().__init__("tdxsim-quit", gdb.COMMAND_RUNNING)

    def invoke(self, arg, from_tty):
        code = gdb.convenience_variable("_exitcode")
        gdb.execute("quit %d" % int(code) if code is not None else "quit")


def setup():
    gdb.execute("set confirm off")
    gdb.execute("set pagination off")
    gdb.execute("set print thread-events off")
    gdb.execute("set breakpoint pending on")
    gdb.execute("set breakpoint auto-hw on")
    # The guest's text is the one memory region declared; the rest stays as gdb finds it.
    gdb.execute("set mem inaccessible-by-default off")
    # tdxsim leaves SIGINT unblocked for gdb, so that Ctrl-C stops the program here.
    gdb.execute("set environment TDXSIM_DEBUGGER gdb")
    gdb.execute("handle SIGSEGV SIGILL SIGFPE SIGBUS nostop noprint pass", to_string=True)
    gdb.execute("handle SIG37 nostop noprint pass", to_string=True)  # SIGRTMIN+3
    MachineTrap()
    Quit()
    Stepping()
    for command in ("step", "next", "stepi", "nexti", "until"):
        gdb.execute("define hook-%s\ntdxsim-stepping\nend" % command)
    catch = gdb.execute("catch signal SIGTRAP", to_string=True)
    gdb.execute("condition %s $_tdxsim_machine_trap()" % catch.split()[1], to_string=True)
    ImageEvent()
    gdb.events.cont.connect(restore_sigtrap)
    gdb.events.stop.connect(on_stop)
    gdb.events.exited.connect(lambda _e: images.clear())


setup()
