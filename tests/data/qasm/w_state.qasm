OPENQASM 2.0;
include "qelib1.inc";
// W state (|001> + |010> + |100>)/sqrt(3); 1.9106332362490186 = 2*arccos(1/sqrt(3)).
qreg q[3];
ry(1.9106332362490186) q[0];
ch q[0], q[1];
cx q[1], q[0];
x q[0];
x q[1];
ccx q[0], q[1], q[2];
x q[0];
x q[1];
