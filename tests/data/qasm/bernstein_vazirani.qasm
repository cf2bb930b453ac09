OPENQASM 2.0;
include "qelib1.inc";
// Bernstein-Vazirani for the secret s = (1, 1, 0, 1) on q[0..3]: one query returns s
// (Bernstein and Vazirani 1997).
qreg q[4];
qreg anc[1];
creg c[4];
x anc[0];
h anc[0];
h q;
cx q[0], anc[0];
cx q[1], anc[0];
cx q[3], anc[0];
h q;
measure q -> c;
