OPENQASM 2.0;
include "qelib1.inc";
// Several registers and OpenQASM 2 broadcasting: whole registers of equal size pair up,
// a single qubit is repeated against a register.
qreg a[3];
qreg b[3];
qreg flag[1];
creg ca[3];
creg cb[3];
h a;
cx a, b;
rz(pi/8) b;
cx flag[0], a;
cswap flag[0], a, b;
cu1(pi/3) a, b;
measure a -> ca;
measure b -> cb;
