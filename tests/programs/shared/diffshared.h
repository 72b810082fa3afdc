// libdiffshared.so: a shared library of our own for the differential gdb
// tests (tests/e2e/gdb_differential_test.cc). It calls no libc, so gdb's
// `record full` can record and reverse calls into it, which it cannot do for
// glibc on this CPU (DESIGN.md, "Measured facts").
#pragma once

extern int ds_calls;  // calls of DsMix so far

// Mixes `value` into `acc`.
int DsMix(int acc, int value);
// Folds values[0..n) with `combine`, starting from 0: calls back into the caller.
int DsFold(const int* values, int n, int (*combine)(int acc, int value));
