OPENQASM 2.0;
include "qelib1.inc";
// One-bit full adder from Toffoli and CNOT gates: sum into cin, carry into cout.
// Inputs a = 1, b = 1, cin = 1: sum 1, carry 1.
qreg a[1];
qreg b[1];
qreg cin[1];
qreg cout[1];
creg out[2];
x a[0];
x b[0];
x cin[0];
ccx a[0], b[0], cout[0];
cx a[0], b[0];
ccx b[0], cin[0], cout[0];
cx b[0], cin[0];
cx a[0], b[0];
measure cin[0] -> out[0];
measure cout[0] -> out[1];
