OPENQASM 2.0;
include "qelib1.inc";
// Kvant gates that qelib1.inc lacks, as to_qasm2 defines them before use.
gate ryy(theta) a, b { rx(pi/2) a; rx(pi/2) b; cx a, b; rz(theta) b; cx a, b; rx(-pi/2) a; rx(-pi/2) b; }
gate iswap a, b { s a; s b; h a; cx a, b; cx b, a; h b; }
gate iswapdg a, b { h b; cx b, a; cx a, b; h a; sdg b; sdg a; }
gate csxdg a, b { h b; cu1(-pi/2) a, b; h b; }
gate rccxdg a, b, c { u2(0, pi) c; u1(pi/4) c; cx b, c; u1(-pi/4) c; cx a, c; u1(pi/4) c; cx b, c; u1(-pi/4) c; u2(0, pi) c; }
gate rc3xdg a, b, c, d { u2(0, pi) d; u1(pi/4) d; cx c, d; u1(-pi/4) d; u2(0, pi) d; u1(pi/4) d; cx b, d; u1(-pi/4) d; cx a, d; u1(pi/4) d; cx b, d; u1(-pi/4) d; cx a, d; u2(0, pi) d; u1(pi/4) d; cx c, d; u1(-pi/4) d; u2(0, pi) d; }
gate c3sqrtxdg a, b, c, d { h d; cu1(-pi/8) a, d; h d; cx a, b; h d; cu1(pi/8) b, d; h d; cx a, b; h d; cu1(-pi/8) b, d; h d; cx b, c; h d; cu1(pi/8) c, d; h d; cx a, c; h d; cu1(-pi/8) c, d; h d; cx b, c; h d; cu1(pi/8) c, d; h d; cx a, c; h d; cu1(-pi/8) c, d; h d; }
qreg q[4];
h q;
t q[2];
ryy(0.7) q[0], q[1];
iswap q[1], q[2];
iswapdg q[3], q[0];
csxdg q[2], q[3];
rccxdg q[0], q[1], q[2];
rc3xdg q[3], q[2], q[1], q[0];
ry(0.3) q[1];
c3sqrtxdg q[1], q[3], q[0], q[2];
