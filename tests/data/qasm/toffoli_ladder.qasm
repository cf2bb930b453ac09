OPENQASM 2.0;
include "qelib1.inc";
// Four-control NOT from Toffolis and two clean ancillas, computed and uncomputed
// (Barenco et al. 1995, lemma 7.2), then c4x on the same qubits: the two cancel.
qreg ctl[4];
qreg anc[2];
qreg tgt[1];
h ctl;
ccx ctl[0], ctl[1], anc[0];
ccx ctl[2], anc[0], anc[1];
ccx ctl[3], anc[1], tgt[0];
ccx ctl[2], anc[0], anc[1];
ccx ctl[0], ctl[1], anc[0];
c4x ctl[0], ctl[1], ctl[2], ctl[3], tgt[0];
