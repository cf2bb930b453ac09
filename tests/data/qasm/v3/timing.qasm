OPENQASM 3.0;
include "stdgates.inc";
// Delays in every supported unit, and barriers.
qubit[2] q;
h q[0];
delay[100ns] q[0];
delay[1.5us] q[1];
delay[2µs] q[0];
delay[0.25ms] q;
delay[1e-6s] q[1];
barrier q;
cx q[0], q[1];
