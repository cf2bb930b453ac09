OPENQASM 2.0;
include "qelib1.inc";
// Simon's algorithm for the 2-bit secret s = 11 (Simon 1997): f(x) = f(x xor s).
qreg inp[2];
qreg f[2];
creg c[2];
h inp;
cx inp[0], f[0];
cx inp[1], f[0];
cx inp[0], f[1];
cx inp[1], f[1];
h inp;
measure inp -> c;
