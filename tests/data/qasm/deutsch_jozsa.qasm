OPENQASM 2.0;
include "qelib1.inc";
// Deutsch-Jozsa with the balanced function f(x) = x0 xor x2 on three bits
// (Nielsen & Chuang 2010, sec. 1.4.4): the all-zero outcome never appears.
qreg inp[3];
qreg anc[1];
creg c[3];
x anc[0];
h anc[0];
h inp;
cx inp[0], anc[0];
cx inp[2], anc[0];
h inp;
measure inp -> c;
