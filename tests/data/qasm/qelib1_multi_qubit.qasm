OPENQASM 2.0;
include "qelib1.inc";
// Every gate of qelib1.inc on three or more qubits.
qreg q[5];
h q;
t q[1];
ccx q[0], q[1], q[2];
s q[2];
cswap q[2], q[0], q[3];
rccx q[1], q[3], q[4];
ry(0.4) q[0];
rc3x q[4], q[0], q[2], q[1];
c3x q[0], q[1], q[2], q[3];
rx(0.3) q[4];
c3sqrtx q[3], q[2], q[1], q[0];
c4x q[4], q[3], q[0], q[1], q[2];
