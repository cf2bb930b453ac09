OPENQASM 2.0;
include "qelib1.inc";
// Ripple-carry adder b := a + b on 3-bit numbers, carry out in cout
// (Cuccaro, Draper, Kutin, Moulton 2004, arXiv:quant-ph/0410184, fig. 4).
// Inputs a = 3, b = 6, so the sum 9 is 1001 in (cout, b).
gate maj a, b, c { cx c, b; cx c, a; ccx a, b, c; }
gate uma a, b, c { ccx a, b, c; cx c, a; cx a, b; }
qreg cin[1];
qreg a[3];
qreg b[3];
qreg cout[1];
creg sum[4];
x a[0];
x a[1];
x b[1];
x b[2];
maj cin[0], b[0], a[0];
maj a[0], b[1], a[1];
maj a[1], b[2], a[2];
cx a[2], cout[0];
uma a[1], b[2], a[2];
uma a[0], b[1], a[1];
uma cin[0], b[0], a[0];
measure b[0] -> sum[0];
measure b[1] -> sum[1];
measure b[2] -> sum[2];
measure cout[0] -> sum[3];
