"""Tokens of OpenQASM 2.0 text, each with its 1-based line and column.

Grammar reference: Cross, Bishop, Smolin, Gambetta, "Open Quantum Assembly Language",
arXiv:1707.03429 (2017), appendix A.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import NoReturn

from kvant.errors import QasmSyntaxError

__all__ = ["Token", "TokenKind", "tokenize"]


class TokenKind(Enum):
    """What a token is."""

    ID = "identifier"
    INT = "integer"
    REAL = "real number"
    STRING = "string"
    SYMBOL = "symbol"
    EOF = "end of input"


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its kind, text and where it starts and ends (1-based, end exclusive)."""

    kind: TokenKind
    text: str
    line: int
    column: int
    end_line: int
    end_column: int

    def describe(self) -> str:
        """How an error message names this token."""
        if self.kind is TokenKind.EOF:
            return "the end of the input"
        return f"{self.text!r}"


_TOKEN = re.compile(
    r"""
    (?P<space>[ \t\r\n]+)
  | (?P<line_comment>//[^\n]*)
  | (?P<block_comment>/\*.*?\*/)
  | (?P<open_comment>/\*)
  | (?P<real>(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[0-9]+[eE][-+]?[0-9]+)
  | (?P<int>[0-9]+)
  | (?P<id>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<string>"[^"\n]*")
  | (?P<symbol>->|==|[;,()\[\]{}+\-*/^])
    """,
    re.VERBOSE | re.DOTALL,
)

_KINDS = {
    "real": TokenKind.REAL,
    "int": TokenKind.INT,
    "id": TokenKind.ID,
    "string": TokenKind.STRING,
    "symbol": TokenKind.SYMBOL,
}


def tokenize(text: str) -> list[Token]:
    """Split OpenQASM 2 text into tokens, dropping whitespace and comments.

    The list always ends with an ``EOF`` token.

    Raises:
        QasmSyntaxError: for a character that starts no token, or an unterminated comment
            or string.
    """
    tokens: list[Token] = []
    line, line_start, pos = 1, 0, 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        column = pos - line_start + 1
        if match is None or match.lastgroup == "open_comment":
            _raise_bad_character(text, pos, line, column)
        chunk = match.group()
        newlines = chunk.count("\n")
        end_line = line + newlines
        end_line_start = line_start if not newlines else pos + chunk.rindex("\n") + 1
        end_column = match.end() - end_line_start + 1
        kind = _KINDS.get(match.lastgroup or "")
        if kind is not None:
            tokens.append(Token(kind, chunk, line, column, end_line, end_column))
        line, line_start, pos = end_line, end_line_start, match.end()
    tokens.append(Token(TokenKind.EOF, "", line, pos - line_start + 1, line, pos - line_start + 1))
    return tokens


def _raise_bad_character(text: str, pos: int, line: int, column: int) -> NoReturn:
    if text.startswith("/*", pos):
        raise QasmSyntaxError(
            "unterminated comment: '/*' has no matching '*/'", line=line, column=column
        )
    if text[pos] == '"':
        raise QasmSyntaxError(
            "unterminated string: add the closing '\"' on the same line", line=line, column=column
        )
    raise QasmSyntaxError(
        f"unexpected character {text[pos]!r}; OpenQASM 2 uses letters, digits, "
        "'_', operators + - * / ^, and ; , ( ) [ ] { } -> ==",
        line=line,
        column=column,
    )
