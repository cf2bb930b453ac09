"""Recursive-descent parser: OpenQASM 2.0 tokens to a small syntax tree.

Grammar (Cross et al., arXiv:1707.03429, appendix A), with ``^`` right-associative and unary
minus binding less tightly than ``^`` (as Qiskit reads it)::

    program   := 'OPENQASM' REAL ';' statement*
    statement := 'include' STRING ';' | ('qreg' | 'creg') ID '[' INT ']' ';'
               | ('gate' | 'opaque') ID ['(' [ids] ')'] ids ('{' body '}' | ';')
               | qop | 'if' '(' ID '==' INT ')' qop | 'barrier' operands ';'
    qop       := call | 'measure' operand '->' operand ';' | 'reset' operand ';'
    call      := ID ['(' [exprs] ')'] operands ';'
    expr      := term (('+' | '-') term)*
    term      := unary (('*' | '/') unary)*
    unary     := '-' unary | atom ['^' unary]
    atom      := REAL | INT | ID | ID '(' expr ')' | '(' expr ')'
"""

from __future__ import annotations

from typing import NoReturn

from kvant.circuit._qasm2_ast import (
    Barrier,
    Binary,
    Call,
    Declaration,
    Expr,
    GateCall,
    GateDecl,
    If,
    Include,
    Measure,
    Name,
    Negate,
    Number,
    Operand,
    Pos,
    Reset,
    Statement,
)
from kvant.circuit._qasm2_lexer import Token, TokenKind, tokenize
from kvant.errors import QasmSemanticError, QasmSyntaxError

__all__ = ["parse"]


_FUNCTIONS = frozenset({"sin", "cos", "tan", "exp", "ln", "sqrt"})


def parse(text: str) -> list[Statement]:
    """Parse OpenQASM 2.0 text (header included) into statements.

    Raises:
        QasmSyntaxError: if the text does not follow the grammar.
        QasmSemanticError: if the version header names a version other than 2.0.
    """
    return _Parser(tokenize(text)).program()


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0

    # token helpers --------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def at(self, text: str) -> bool:
        return self.tok.kind in (TokenKind.SYMBOL, TokenKind.ID) and self.tok.text == text

    def advance(self) -> Token:
        token = self.tok
        if token.kind is not TokenKind.EOF:
            self.i += 1
        return token

    def fail(self, message: str, token: Token | None = None) -> NoReturn:
        token = token or self.tok
        raise QasmSyntaxError(message, line=token.line, column=token.column)

    def expect(self, text: str, context: str) -> Token:
        if self.at(text):
            return self.advance()
        if text == ";" and self.i > 0:
            previous = self.tokens[self.i - 1]
            raise QasmSyntaxError(
                f"missing ';' after {context}; found {self.tok.describe()} instead",
                line=previous.end_line,
                column=previous.end_column,
            )
        self.fail(f"expected {text!r} {context}, found {self.tok.describe()}")

    def expect_kind(self, kind: TokenKind, context: str) -> Token:
        if self.tok.kind is kind:
            return self.advance()
        self.fail(f"expected {kind.value} {context}, found {self.tok.describe()}")

    def close(self, opening: Token, closing: str, context: str) -> None:
        if not self.at(closing):
            self.fail(
                f"unbalanced brackets: expected {closing!r} to close {opening.text!r} "
                f"(line {opening.line}, column {opening.column}) {context}, "
                f"found {self.tok.describe()}"
            )
        self.advance()

    @staticmethod
    def pos(token: Token) -> Pos:
        return Pos(token.line, token.column)

    # program --------------------------------------------------------------------------------
    def program(self) -> list[Statement]:
        self.header()
        statements: list[Statement] = []
        while self.tok.kind is not TokenKind.EOF:
            statements.append(self.statement())
        return statements

    def header(self) -> None:
        if not self.at("OPENQASM"):
            self.fail("missing version header: OpenQASM 2 text must start with 'OPENQASM 2.0;'")
        self.advance()
        version = self.tok
        if version.kind not in (TokenKind.REAL, TokenKind.INT):
            self.fail(f"expected a version number after OPENQASM, found {version.describe()}")
        self.advance()
        if version.text not in ("2", "2.0"):
            raise QasmSemanticError(
                f"unsupported OpenQASM version {version.text}; this reader takes 2.0 "
                "(and from_qasm takes 3.x)",
                line=version.line,
                column=version.column,
            )
        self.expect(";", "the version header")

    def statement(self) -> Statement:
        token = self.tok
        if token.kind is not TokenKind.ID:
            self.fail(
                f"expected a statement (qreg, creg, gate, a gate call, measure, reset, barrier, "
                f"if), found {token.describe()}"
            )
        keyword = token.text
        if keyword == "include":
            self.advance()
            name = self.expect_kind(TokenKind.STRING, 'after include (e.g. "qelib1.inc")')
            self.expect(";", "the include")
            return Include(name.text[1:-1], self.pos(token))
        if keyword in ("qreg", "creg"):
            return self.declaration()
        if keyword in ("gate", "opaque"):
            return self.gate_declaration()
        if keyword == "barrier":
            self.advance()
            operands = self.operands(indexed=True)
            self.expect(";", "the barrier")
            return Barrier(operands, self.pos(token))
        if keyword == "if":
            return self.if_statement()
        if keyword == "OPENQASM":
            self.fail("a second version header; 'OPENQASM 2.0;' may appear only once, first")
        return self.qop()

    def declaration(self) -> Declaration:
        keyword = self.advance()
        name = self.expect_kind(TokenKind.ID, f"after {keyword.text}")
        opening = self.expect("[", f"after the register name (e.g. {keyword.text} q[2];)")
        size = self.expect_kind(TokenKind.INT, "as the register size")
        self.close(opening, "]", "after the register size")
        self.expect(";", f"the {keyword.text} declaration")
        return Declaration(keyword.text, name.text, int(size.text), self.pos(keyword))

    def gate_declaration(self) -> GateDecl:
        keyword = self.advance()
        name = self.expect_kind(TokenKind.ID, f"after {keyword.text}")
        params: tuple[str, ...] = ()
        if self.at("("):
            opening = self.advance()
            params = () if self.at(")") else self.identifiers("as a parameter name")
            self.close(opening, ")", "after the parameter names")
        qubits = self.identifiers("as a qubit argument name")
        if keyword.text == "opaque":
            self.expect(";", "the opaque declaration")
            return GateDecl(name.text, params, qubits, (), True, self.pos(keyword))
        opening = self.expect("{", "to open the gate body")
        body: list[GateCall | Barrier] = []
        while not self.at("}"):
            if self.tok.kind is TokenKind.EOF:
                self.close(opening, "}", "at the end of the gate body")
            body.append(self.body_statement())
        self.advance()
        return GateDecl(name.text, params, qubits, tuple(body), False, self.pos(keyword))

    def body_statement(self) -> GateCall | Barrier:
        token = self.tok
        if self.at("barrier"):
            self.advance()
            operands = self.operands(indexed=False)
            self.expect(";", "the barrier")
            return Barrier(operands, self.pos(token))
        if token.kind is not TokenKind.ID or token.text in ("measure", "reset", "if"):
            self.fail(f"a gate body holds only gate calls and barriers, found {token.describe()}")
        return self.call(indexed=False)

    def if_statement(self) -> If:
        keyword = self.advance()
        opening = self.expect("(", "after if")
        register = self.expect_kind(TokenKind.ID, "as the register in if(creg==value)")
        self.expect("==", "in if(creg==value)")
        value = self.expect_kind(TokenKind.INT, "as the value in if(creg==value)")
        self.close(opening, ")", "in if(creg==value)")
        body = self.qop()
        return If(register.text, int(value.text), body, self.pos(keyword))

    def qop(self) -> GateCall | Measure | Reset:
        token = self.tok
        if token.kind is not TokenKind.ID:
            self.fail(f"expected a gate call, measure or reset, found {token.describe()}")
        if token.text == "measure":
            self.advance()
            qubit = self.operand(indexed=True)
            self.expect("->", "between the qubit and the bit in measure q -> c")
            clbit = self.operand(indexed=True)
            self.expect(";", "the measure")
            return Measure(qubit, clbit, self.pos(token))
        if token.text == "reset":
            self.advance()
            operand = self.operand(indexed=True)
            self.expect(";", "the reset")
            return Reset(operand, self.pos(token))
        if token.text in ("barrier", "if", "gate", "opaque", "qreg", "creg", "include"):
            self.fail(f"{token.text!r} cannot follow if(...); only a gate, measure or reset can")
        return self.call(indexed=True)

    def call(self, indexed: bool) -> GateCall:
        name = self.advance()
        params: tuple[Expr, ...] = ()
        if self.at("("):
            opening = self.advance()
            if not self.at(")"):
                params = self.expressions()
            self.close(opening, ")", f"after the parameters of {name.text!r}")
        operands = self.operands(indexed)
        self.expect(";", f"the {name.text!r} statement")
        return GateCall(name.text, params, operands, self.pos(name))

    # lists ------------------------------------------------------------------------------------
    def identifiers(self, context: str) -> tuple[str, ...]:
        names = [self.expect_kind(TokenKind.ID, context).text]
        while self.at(","):
            self.advance()
            names.append(self.expect_kind(TokenKind.ID, context).text)
        return tuple(names)

    def operands(self, indexed: bool) -> tuple[Operand, ...]:
        operands = [self.operand(indexed)]
        while self.at(","):
            self.advance()
            operands.append(self.operand(indexed))
        return tuple(operands)

    def operand(self, indexed: bool) -> Operand:
        name = self.expect_kind(TokenKind.ID, "as a qubit or register operand")
        index = None
        if self.at("["):
            if not indexed:
                self.fail("indexing is not allowed inside a gate body; use the argument name")
            opening = self.advance()
            index = int(self.expect_kind(TokenKind.INT, "as the index").text)
            self.close(opening, "]", "after the index")
        return Operand(name.text, index, self.pos(name))

    def expressions(self) -> tuple[Expr, ...]:
        values = [self.expression()]
        while self.at(","):
            self.advance()
            values.append(self.expression())
        return tuple(values)

    # expressions ----------------------------------------------------------------------------
    def expression(self) -> Expr:
        left = self.term()
        while self.at("+") or self.at("-"):
            op = self.advance()
            left = Binary(op.text, left, self.term(), self.pos(op))
        return left

    def term(self) -> Expr:
        left = self.unary()
        while self.at("*") or self.at("/"):
            op = self.advance()
            left = Binary(op.text, left, self.unary(), self.pos(op))
        return left

    def unary(self) -> Expr:
        if self.at("-"):
            op = self.advance()
            return Negate(self.unary(), self.pos(op))
        base = self.atom()
        if self.at("^"):
            op = self.advance()
            return Binary("**", base, self.unary(), self.pos(op))
        return base

    def atom(self) -> Expr:
        token = self.tok
        if token.kind in (TokenKind.REAL, TokenKind.INT):
            self.advance()
            return Number(float(token.text), self.pos(token))
        if token.kind is TokenKind.ID:
            self.advance()
            if token.text in _FUNCTIONS:
                opening = self.expect("(", f"after the function {token.text!r}")
                argument = self.expression()
                self.close(opening, ")", f"after the argument of {token.text!r}")
                return Call(token.text, argument, self.pos(token))
            return Name(token.text, self.pos(token))
        if self.at("("):
            opening = self.advance()
            inner = self.expression()
            self.close(opening, ")", "in the expression")
            return inner
        self.fail(f"expected a number, pi, a parameter or '(', found {token.describe()}")
