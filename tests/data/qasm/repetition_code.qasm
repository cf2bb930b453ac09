OPENQASM 2.0;
include "qelib1.inc";
// Three-qubit bit-flip code (Nielsen & Chuang 2010, sec. 10.1.1): encode, flip one qubit,
// measure the syndrome into ancillas, correct with if(), reset the ancillas.
qreg d[3];
qreg anc[2];
creg syn[2];
creg out[3];
ry(0.8) d[0];
cx d[0], d[1];
cx d[0], d[2];
x d[1];
cx d[0], anc[0];
cx d[1], anc[0];
cx d[1], anc[1];
cx d[2], anc[1];
measure anc -> syn;
if(syn==1) x d[0];
if(syn==3) x d[1];
if(syn==2) x d[2];
reset anc;
cx d[0], d[2];
cx d[0], d[1];
measure d -> out;
