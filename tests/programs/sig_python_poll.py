# A Python loop polling a global that a 1 ms ITIMER_REAL handler counts up
# (issue 13), doing list and dict work on each pass. The interpreter keeps
# the loop's state in pymalloc arenas (anonymous mmaps): registers, stack
# and the executable's globals repeat from pass to pass. Prints the ticks
# and values that depend on which pass each tick interrupted.
import signal

TICKS = 100
n = 0


def on_alarm(signo, frame):
    global n
    n += 1
    if n >= TICKS:
        signal.setitimer(signal.ITIMER_REAL, 0)


signal.signal(signal.SIGALRM, on_alarm)
signal.setitimer(signal.ITIMER_REAL, 0.001, 0.001)
items = []
table = {}
i = 0
while n < TICKS:
    items.append(i)
    table[i % 97] = i
    i += 1
    if len(items) > 1000:
        items = []
print("sig_python_poll: ticks=%d items=%d sum=%d" % (n, len(items), sum(table.values())))
