OPENQASM 2.0;
include "qelib1.inc";
// Kvant's delay (in ns) written as an identity gate, as to_qasm2 writes it.
gate delay(duration_ns) q { }
qreg q[2];
h q[0];
delay(100) q[0];
delay(2.5e3) q;
cx q[0], q[1];
delay(0) q[1];
