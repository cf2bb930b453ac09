OPENQASM 2.0;
include "qelib1.inc";
// Add 1 modulo 32 to a 5-qubit register (q[0] least significant) with multi-controlled
// NOTs, highest bit first; applied to |00111> = 7 it gives 8.
qreg q[5];
x q[0];
x q[1];
x q[2];
c4x q[0], q[1], q[2], q[3], q[4];
c3x q[0], q[1], q[2], q[3];
ccx q[0], q[1], q[2];
cx q[0], q[1];
x q[0];
