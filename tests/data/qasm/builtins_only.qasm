OPENQASM 2.0;
// No include: only the builtins U and CX, with the familiar gates defined from them
// (as in Cross et al. 2017, sec. 3 and fig. 2).
gate h a { U(pi/2, 0, pi) a; }
gate t a { U(0, 0, pi/4) a; }
gate tdg a { U(0, 0, -pi/4) a; }
gate cx c, t { CX c, t; }
gate toffoli a, b, c
{
  h c; cx b, c; tdg c; cx a, c; t c; cx b, c; tdg c; cx a, c;
  t b; t c; h c; cx a, b; t a; tdg b; cx a, b;
}
qreg q[3];
h q[0];
h q[1];
toffoli q[0], q[1], q[2];
U(0.5, 0.25, -0.125) q[2];
CX q[2], q[0];
