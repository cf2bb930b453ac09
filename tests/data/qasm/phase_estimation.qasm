OPENQASM 2.0;
include "qelib1.inc";
// Phase estimation of T on |1> (phase 1/8) with three counting qubits, count[0] the
// most significant; the inverse QFT reads out 001 (Nielsen & Chuang 2010, fig. 5.2).
qreg count[3];
qreg psi[1];
creg m[3];
x psi[0];
h count;
cu1(pi) count[0], psi[0];
cu1(pi/2) count[1], psi[0];
cu1(pi/4) count[2], psi[0];
barrier count, psi;
// inverse QFT on count
swap count[0], count[2];
h count[2];
cu1(-pi/2) count[2], count[1];
h count[1];
cu1(-pi/4) count[2], count[0];
cu1(-pi/2) count[1], count[0];
h count[0];
measure count -> m;
