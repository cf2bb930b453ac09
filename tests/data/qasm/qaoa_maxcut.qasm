OPENQASM 2.0;
include "qelib1.inc";
// One QAOA layer for MaxCut on the 4-cycle (Farhi, Goldstone, Gutmann 2014),
// gamma = 0.7, beta = 0.3: rzz(2*gamma) per edge, rx(2*beta) per qubit.
qreg q[4];
creg c[4];
h q;
rzz(2*0.7) q[0], q[1];
rzz(2*0.7) q[1], q[2];
rzz(2*0.7) q[2], q[3];
rzz(2*0.7) q[3], q[0];
rx(2*0.3) q;
measure q -> c;
