OPENQASM 3.0;
include "stdgates.inc";
// Quantum Fourier transform on 4 qubits, q[0] most significant (Nielsen & Chuang 2010,
// fig. 5.1), with the controlled rotations written as ctrl @ p.
qubit[4] q;
h q[0];
ctrl @ p(pi/2) q[1], q[0];
ctrl @ p(pi/4) q[2], q[0];
ctrl @ p(pi/8) q[3], q[0];
h q[1];
cp(pi/2) q[2], q[1];
cphase(pi/4) q[3], q[1];
h q[2];
cp(pi/2) q[3], q[2];
h q[3];
swap q[0], q[3];
swap q[1], q[2];
