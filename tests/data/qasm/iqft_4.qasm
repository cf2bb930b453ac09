OPENQASM 2.0;
include "qelib1.inc";
// Inverse of qft_4.qasm: the gates reversed, angles negated.
qreg q[4];
swap q[1], q[2];
swap q[0], q[3];
h q[3];
cu1(-pi/2) q[3], q[2];
h q[2];
cu1(-pi/4) q[3], q[1];
cu1(-pi/2) q[2], q[1];
h q[1];
cu1(-pi/8) q[3], q[0];
cu1(-pi/4) q[2], q[0];
cu1(-pi/2) q[1], q[0];
h q[0];
