#!/usr/bin/env python3
"""`rewind debug` on a terminal (a pty, through pexpect): Ctrl-C during a
long `continue` or `goto` returns to the prompt where the replay got to,
Ctrl-C at the prompt drops the line being typed, and the readline history
is kept in $XDG_DATA_HOME/rewind/history across sessions (Ctrl-P recalls
it).

usage: debug_console_pty.py REWIND TRACE XDG_DATA_HOME   (a `hot_loop 8000000000` trace)
Exits 0 when every check passes; otherwise prints what it saw and exits 1.
"""
import os
import re
import sys
import time

import pexpect

PROMPT = r"\(rewind\) "


def spawn(rewind, trace, env):
    child = pexpect.spawn(rewind, ["debug", trace], env=env, encoding="utf-8",
                          timeout=60, dimensions=(50, 200))
    child.logfile_read = sys.stdout
    child.expect(PROMPT)
    return child


def main():
    rewind, trace, data_home = sys.argv[1:4]
    env = dict(os.environ, XDG_DATA_HOME=data_home, TERM="xterm")
    history = os.path.join(data_home, "rewind", "history")

    child = spawn(rewind, trace, env)
    child.sendline("when")
    child.expect(r"Current event: (\d+) \(of (\d+)\)")
    total = int(child.match.group(2))
    child.expect(PROMPT)
    # The trace's hot_loop runs 8 * 10^9 iterations without a syscall: seconds
    # of replay.
    child.sendline("continue")
    child.expect("hot_loop: start")
    time.sleep(0.5)
    started = time.time()
    child.sendintr()
    child.expect("Interrupted.")
    child.expect(PROMPT)
    took = time.time() - started
    if took > 20:
        print(f"\nFAIL: Ctrl-C took {took:.1f} s to stop the continue")
        return 1
    child.sendline("when")
    child.expect(r"Current event: (\d+) \(of (\d+)\)")
    event = int(child.match.group(1))
    if event >= total:
        print(f"\nFAIL: interrupted at event {event} of {total}: the end, not mid-way")
        return 1
    child.expect(PROMPT)
    # Ctrl-C at the prompt drops the half-typed line.
    child.send("frobnicate")
    child.expect("frobnicate")
    child.sendintr()
    child.expect(PROMPT)
    child.sendline("info threads")
    child.expect(r"\* 1 +thread \d+ ")
    child.expect(PROMPT)
    child.sendline("quit")
    child.expect(pexpect.EOF)
    child.close()
    if child.exitstatus != 0:
        print(f"\nFAIL: exit status {child.exitstatus} after quit")
        return 1

    with open(history) as f:
        lines = f.read().splitlines()
    if lines[-3:] != ["when", "info threads", "quit"] or "continue" not in lines:
        print(f"\nFAIL: history file holds {lines}")
        return 1
    if any("frobnicate" in line for line in lines):
        print(f"\nFAIL: the line Ctrl-C dropped is in the history: {lines}")
        return 1

    # A new session recalls the previous one's commands: Ctrl-P twice is
    # "info threads" (the last is "quit").
    child = spawn(rewind, trace, env)
    child.send("\x10\x10\r")
    child.expect(r"\* 1 +thread \d+ ")
    child.expect(PROMPT)
    # Completion of a command name.
    child.send("whe\t\r")
    child.expect(r"Current event: \d+ \(of \d+\)")
    child.expect(PROMPT)
    # A goto across the loop re-executes it; Ctrl-C stops it there.
    child.sendline(f"goto {total}")
    time.sleep(1.5)
    started = time.time()
    child.sendintr()
    child.expect(f"Interrupted before event {total}.")
    child.expect(r"Current event: (\d+) \(of \d+\)")
    event = int(child.match.group(1))
    child.expect(PROMPT)
    took = time.time() - started
    if took > 20 or event >= total:
        print(f"\nFAIL: Ctrl-C stopped the goto after {took:.1f} s at event {event} of {total}")
        return 1
    child.sendline(f"goto {total + 1000}")
    child.expect(f"error: event {total + 1000} is beyond the end of the trace \\({total} events\\)")
    child.expect(PROMPT)
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    if child.exitstatus != 0:
        print(f"\nFAIL: exit status {child.exitstatus} at end of input")
        return 1
    print("\nPASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
