OPENQASM 2.0;
include "qelib1.inc";
// Hidden shift for the bent function f(x) = x0 x1 xor x2 x3 and shift s = 1011
// (Roetteler 2010): the measurement returns s.
qreg q[4];
creg c[4];
h q;
x q[0];
x q[2];
x q[3];
cz q[0], q[1];
cz q[2], q[3];
x q[0];
x q[2];
x q[3];
h q;
cz q[0], q[1];
cz q[2], q[3];
h q;
measure q -> c;
