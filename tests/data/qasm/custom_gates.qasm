OPENQASM 2.0;
include "qelib1.inc";
/* Nested custom gates with parameters and expressions in their formal parameters. */
gate rot(theta, phi) a { rz(phi) a; ry(theta) a; rz(-phi) a; }
gate entangle(theta) a, b { h a; cx a, b; rot(theta, theta/2) b; }
gate layer(alpha) a, b, c
{
  entangle(alpha) a, b;
  entangle(2*alpha) b, c;
  barrier a, b, c;
  rot(alpha^2, -alpha + pi/4) c;
}
gate empty a { }
qreg q[3];
layer(pi/3) q[0], q[1], q[2];
rot(0.25, -0.5) q;
empty q[1];
