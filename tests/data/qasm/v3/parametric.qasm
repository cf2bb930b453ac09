OPENQASM 3.0;
include "stdgates.inc";
// Free parameters from input declarations, kept symbolic; constants folded.
input angle[32] theta;
input float phi;
const float half = pi / 2;
qubit[2] q;
rx(theta) q[0];
ry(2 * phi + half) q[1];
cx q[0], q[1];
rz(theta ** 2 - sin(phi)) q[1];
u3(theta, phi, -theta / 2) q[0];
