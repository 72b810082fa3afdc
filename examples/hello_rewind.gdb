# A reverse-debugging session on examples/hello_rewind, run by
# scripts/demo.sh in gdb batch mode. The values gdb prints are the recorded
# ones, identical on every replay.
set pagination off
set confirm off
break Score
continue
continue
continue
echo \n--- in round 2; now go back in time ---\n
print round
reverse-continue
echo \n--- reverse-continue: back in round 1 ---\n
print round
reverse-finish
echo \n--- reverse-finish: back in main, before round 1 was scored ---\n
print total
print seed
continue
