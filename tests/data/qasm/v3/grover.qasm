OPENQASM 3.0;
include "stdgates.inc";
// Grover search on 3 qubits for q = (1, 0, 1), two iterations, with gate definitions
// and modifiers (Nielsen & Chuang 2010, sec. 6.1).
gate oracle a, b, c { x b; ctrl(2) @ z a, b, c; x b; }
gate diffusion a, b, c {
  h a; h b; h c;
  x a; x b; x c;
  ctrl @ ctrl @ z a, b, c;
  x a; x b; x c;
  h a; h b; h c;
}
qubit[3] q;
bit[3] c;
h q;
oracle q[0], q[1], q[2];
diffusion q[0], q[1], q[2];
oracle q[0], q[1], q[2];
diffusion q[0], q[1], q[2];
c = measure q;
