OPENQASM 3.0;
include "stdgates.inc";
// Every condition form Kvant reads: register == value, bits, negation, else, &&.
qubit[3] q;
bit[2] c;
bit flag;
h q;
c = measure q[0:1];
flag = measure q[2];
if (c == 2) { x q[0]; }
if (c == 0b11) x q[1];
if (flag) { z q[2]; } else { y q[2]; }
if (!c[0]) { h q[0]; }
if (c[1] != 0) { s q[1]; }
if (c[0] == 1 && flag == false) { reset q[0]; t q[1]; }
