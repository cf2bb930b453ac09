OPENQASM 3;
include "stdgates.inc";
// OpenQASM 2 spellings that OpenQASM 3 keeps: qreg, creg, CX, U, measure ->.
qreg q[3];
creg c[3];
U(pi/2, 0, pi) q[0];
CX q[0], q[1];
cx q[1], q[2];
phase(pi/4) q[2];
id q[1];
u1(0.1) q[0];
u2(0.2, 0.3) q[1];
u3(0.4, 0.5, 0.6) q[2];
measure q -> c;
