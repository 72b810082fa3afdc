#!/bin/sh
# Process-tree target for checkpoint tests (issue #10): like pyenv's shims,
# a shell forks short-lived helpers (command substitutions, a background job
# it waits for, a pipeline) and then execs the real program, given as the
# arguments. A debugger that follows the first process sees the shell, then
# the program.
#   sh fork_then_exec.sh PROGRAM [ARGS...]
i=0
while [ "$i" -lt 6 ]; do
  word=$(echo "helper-$i")
  i=$((i + 1))
done
echo "fork_then_exec: $word" | cat
sleep 0 &
wait
exec "$@"
