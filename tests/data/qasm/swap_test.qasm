OPENQASM 2.0;
include "qelib1.inc";
// Swap test between ry(0.4)|0> and ry(1.1)|0> (Buhrman et al. 2001).
qreg anc[1];
qreg a[1];
qreg b[1];
creg c[1];
ry(0.4) a[0];
ry(1.1) b[0];
h anc[0];
cswap anc[0], a[0], b[0];
h anc[0];
measure anc[0] -> c[0];
