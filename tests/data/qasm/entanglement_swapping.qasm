OPENQASM 2.0;
include "qelib1.inc";
// Entanglement swapping: a Bell measurement on q[1], q[2] entangles q[0] with q[3]
// (Zukowski et al. 1993), with Pauli corrections conditioned on the outcome.
qreg q[4];
creg m1[1];
creg m2[1];
h q[0];
cx q[0], q[1];
h q[2];
cx q[2], q[3];
cx q[1], q[2];
h q[1];
measure q[1] -> m1[0];
measure q[2] -> m2[0];
if(m2==1) x q[3];
if(m1==1) z q[3];
