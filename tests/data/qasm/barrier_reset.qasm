OPENQASM 2.0;
include "qelib1.inc";
// Barriers on registers and single qubits, resets of registers and qubits.
qreg q[3];
qreg r[2];
creg c[3];
h q;
barrier q;
cx q[0], r[0];
barrier q[0], r;
reset r;
cx q[1], r[1];
measure q -> c;
reset q[0];
barrier q, r;
x q[0];
