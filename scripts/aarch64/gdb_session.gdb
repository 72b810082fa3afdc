# The gdb session run_vm_suite.sh drives (gdb-multiarch on the host) against
# `rewind replay --stdio` of tests/programs/gdb_rounds inside the AArch64
# VM. Each "R name=value" line is checked by check_gdb_session in
# run_vm_suite.sh; the values come from the replay, so they hold whatever
# seed the recording drew.
set pagination off
set confirm off
set width 0

break Add
continue
printf "R break_round=%d\n", round
bt
next
printf "R next_total_is_value=%d\n", g_total == value
continue
printf "R second_round=%d\n", round
reverse-continue
printf "R reverse_continue_round=%d total=%ld\n", round, g_total
next
printf "R after_next_total_is_value=%d\n", g_total == value
reverse-step
printf "R reverse_step_total=%ld\n", g_total
next
delete
set $after_first = g_total
watch g_total
continue
printf "R watch_forward_round=%d total_grew=%d\n", round, g_total > $after_first
set $after_second = g_total
reverse-continue
printf "R watch_reverse_total_is_first=%d\n", g_total == $after_first
printf "R watch_reverse_in_add_round=%d\n", round
kill
