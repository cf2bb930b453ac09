OPENQASM 2.0;
include "qelib1.inc";
// Grover search on 2 qubits for |11>: one iteration finds it with certainty
// (Nielsen & Chuang 2010, sec. 6.1).
qreg q[2];
creg c[2];
h q;
// oracle: phase flip on |11>
cz q[0], q[1];
// diffusion
h q;
x q;
cz q[0], q[1];
x q;
h q;
measure q -> c;
