OPENQASM 2.0;
include "qelib1.inc";
// Superdense coding of the two bits 11 (Bennett and Wiesner 1992).
qreg q[2];
creg c[2];
h q[0];
cx q[0], q[1];
barrier q;
z q[0];
x q[0];
barrier q;
cx q[0], q[1];
h q[0];
measure q -> c;
