#!/bin/sh
# Prints "zombies: N", N being the number of zombie processes in the
# sessions of the `rewind` children of process $1, read from /proc. Used
# under gdb (`shell sh zombie_count.sh $PPID`, gdb starting the replay
# server in a session of its own) to check that the server reaps what it
# ends: processes it forked count wherever they were reparented.
cat /proc/[0-9]*/stat 2>/dev/null |
  sed -n 's/^\([0-9]*\) (\(.*\)) \(.\) \([0-9]*\) [0-9-]* \([0-9-]*\) .*/\1 \4 \3 \5 \2/p' |
  awk -v gdb="$1" '
    { ppid[$1] = $2; state[$1] = $3; sid[$1] = $4; comm[$1] = $5 }
    END {
      for (p in ppid) if (ppid[p] == gdb && comm[p] == "rewind") server[sid[p]] = 1
      n = 0
      for (p in ppid) if (state[p] == "Z" && (sid[p] in server)) n++
      print "zombies: " n
    }'
