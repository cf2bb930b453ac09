OPENQASM 2.0;
include "qelib1.inc";
// Parameter expressions: pi, + - * / ^, unary minus and sin cos tan exp ln sqrt.
gate g(a, b) q { rz(a^2 - b/2) q; rx(-a*sin(b) + cos(a)^2) q; ry(exp(-a) * ln(2 + b^2)) q; }
qreg q[2];
rz(sin(pi/3)^2 + cos(0.5)*2) q[0];
rx(-(1 + 2)/3*pi) q[1];
ry(exp(-1) + ln(2) - sqrt(2)/tan(0.3)) q[0];
u3(2^-1, 2^3^0.5, -pi/4) q[1];
g(0.75, -1.5e-1) q[0];
g(pi/7, 3.25E+0) q[1];
u1(1.0e-07) q[0];
