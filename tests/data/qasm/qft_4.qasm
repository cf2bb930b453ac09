OPENQASM 2.0;
include "qelib1.inc";
// Quantum Fourier transform on 4 qubits, q[0] the most significant bit
// (Nielsen & Chuang 2010, fig. 5.1), with the final bit-reversal swaps.
qreg q[4];
h q[0];
cu1(pi/2) q[1], q[0];
cu1(pi/4) q[2], q[0];
cu1(pi/8) q[3], q[0];
h q[1];
cu1(pi/2) q[2], q[1];
cu1(pi/4) q[3], q[1];
h q[2];
cu1(pi/2) q[3], q[2];
h q[3];
swap q[0], q[3];
swap q[1], q[2];
