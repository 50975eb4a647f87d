"""A corpus of hostile and malformed user input, shared by the parser and CLI tests.

``HOSTILE_EXPRESSIONS``: expressions every command taking an expression must refuse
(exit 2 on the CLI, ``ValueError`` from :func:`theory.parser.parse_expression`).
``BAD_NUMBERS``: texts that are not valid finite numbers for a numeric flag.
``sentinel_payloads(path)``: expressions that would create ``path`` if they were
ever executed; a test asserts the file never appears.
"""

from __future__ import annotations

#: code execution, introspection and escapes
CODE_EXECUTION: list[str] = [
    "__import__('os').system('x')",
    "__import__('os')",
    "__import__",
    "exec('1')",
    "eval('1')",
    "compile('1', 'f', 'eval')",
    "open('/etc/passwd')",
    "getattr(lam, 'conjugate')",
    "globals()",
    "locals()",
    "vars()",
    "input()",
    "print(1)",
    "().__class__",
    "().__class__.__bases__[0].__subclasses__()",
    "lam.__class__",
    "lam.conjugate()",
    "exp.__globals__",
    "__builtins__",
    "__builtins__['eval']('1')",
    "sympy.sympify('1')",
    "S('1')",
    "Symbol('x')",
    "Function('f')(lam)",
    "lambda: 1",
    "(lambda x: x)(lam)",
    "[x for x in ().__class__.__mro__]",
    "{1: 2}",
    "f'{lam}'",
    "'lam'",
    "b'lam'",
    "(x := 1)",
    "*lam",
    "exp(*lam)",
    "exp(x=1)",
    "exp(**{'x': 1})",
]

#: resource exhaustion: huge numbers, towers, deep nesting, long input
RESOURCE: list[str] = [
    "9**9**9",
    "2**2**2**2**2",
    "10**10**10",
    "lam**100000",
    "lam**(-5000)",
    "(10**999)**999",
    "(lam**1000)**1000",
    "lam**1000*lam**1000",
    "factorial(100000)",
    "binomial(10**6, 5000)",
    "1" * 60,
    "1e999",
    "1e400",
    "x" * 10000,
    "lam+" * 200 + "lam",
    "(" * 250 + "lam" + ")" * 250,
    "-" * 300 + "1",
    "exp(" * 70 + "lam" + ")" * 70,
]

#: syntax errors, unknown names, forbidden constructs, undefined values
MALFORMED: list[str] = [
    "",
    "   ",
    "\n",
    "x",
    "lam + x",
    "foo(lam)",
    "exp",
    "nan",
    "NaN",
    "inf",
    "oo",
    "zoo",
    "None",
    "True",
    "...",
    "1/0",
    "log(0)",
    "(lam",
    "lam)",
    "lam +",
    "lam ** ",
    "exp()",
    "exp(lam, rho)",
    "atan2(lam)",
    "k if 1 else 2",
    "lam < 1",
    "lam == rho",
    "lam and rho",
    "not lam",
    "~lam",
    "lam ^ 2",
    "lam // 2",
    "lam % 2",
    "lam @ rho",
    "lam << 1",
    "lam | rho",
    "[1]",
    "(1, 2)",
    "{1}",
    "lam[0]",
    "lam[0:1]",
    "2j",
    "λ",
    "ｌａｍ",
    "lam\x00",
    "lam;1",
    "lam\n1",
    "import os",
    "lam = 1",
    "await lam",
    "yield lam",
    "#",
    "lam # comment",
]

HOSTILE_EXPRESSIONS: list[str] = CODE_EXECUTION + RESOURCE + MALFORMED

#: texts that must be refused where a finite number (or a constant expression) is expected
BAD_NUMBERS: list[str] = [
    "",
    " ",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "Infinity",
    "1e999",
    "-1e999",
    "abc",
    "1,5",
    "0x",
    "1..2",
    "__import__('os')",
    "1j",
]


def sentinel_payloads(path: str) -> list[str]:
    """Expressions that would create the file ``path`` if anything executed them."""
    p = repr(str(path))
    return [
        f"__import__('os').system('touch ' + {p})",
        f"__import__('pathlib').Path({p}).touch()",
        f"open({p}, 'w')",
        f"exec(\"open({p}, 'w')\")",
        f"eval(\"open({p}, 'w')\")",
        f"(lambda: open({p}, 'w'))()",
        f"[open({p}, 'w') for _ in (1,)]",
        f"lam + open({p}, 'w').write('x')",
        f"exp(open({p}, 'w'))",
        f"().__class__.__base__.__subclasses__()[0]({p})",
    ]
