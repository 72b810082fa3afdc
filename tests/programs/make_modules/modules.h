// One function per module; each folds its name into a running checksum.
unsigned alpha(unsigned x);
unsigned beta(unsigned x);
unsigned gamma_(unsigned x);
unsigned delta(unsigned x);
unsigned epsilon(unsigned x);
unsigned zeta(unsigned x);
