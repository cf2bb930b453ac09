OPENQASM 3.0;
include "stdgates.inc";
// Bell state, measured with the OpenQASM 3 assignment syntax.
qubit[2] q;
bit[2] c;
h q[0];
cx q[0], q[1];
c = measure q;
