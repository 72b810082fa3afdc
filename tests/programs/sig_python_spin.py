# A Python loop doing nothing but poll a global that a 1 ms ITIMER_REAL
# handler counts up (issue 13): the interpreter's registers, stack and
# globals repeat from pass to pass. Prints the ticks.
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
while n < TICKS:
    pass
print("sig_python_spin: ticks=%d" % n)
