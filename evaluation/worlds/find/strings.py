"""FIND's string functions: 1,000 seeded black boxes ``str -> str`` with reference descriptions.

About 70 atomic operations (case changes, reversal, vowel and digit operations, shifts by a letter's
position or a character's code, insertions and removals, counting, ...) are composed: each draw is a
single operation with probability 0.3 and a composition ``g(f(s))`` of two otherwise, as in the
reference generator. A draw whose *behaviour* on a probe set of words equals a function already in
the set (or the identity) is rejected, so no two served functions are indistinguishable on the probes;
with only ~70 atomics, most single-operation draws are rejected and about nine functions in ten end
up compositions. Each function has its ground-truth code (``def f(s)``), a reference description, 10
test inputs for code scoring and 10 description unit tests: one right input->output pair and two
pairs from other functions on the same input (chance 1/3).

Every operation is a Python expression over ``s`` and a few helpers (:data:`HELPERS`); the served
function, the code annotation and the unit tests are all built from the same source.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Helpers the operations use; prepended to every ground-truth program.
HELPERS = '''
VOWELS = "aeiouAEIOU"


def _shift(s, k):
    out = []
    for c in s:
        if "a" <= c <= "z":
            out.append(chr((ord(c) - 97 + k) % 26 + 97))
        elif "A" <= c <= "Z":
            out.append(chr((ord(c) - 65 + k) % 26 + 65))
        else:
            out.append(c)
    return "".join(out)


def _atbash(s):
    return "".join(chr(219 - ord(c)) if "a" <= c <= "z" else chr(155 - ord(c)) if "A" <= c <= "Z" else c
                   for c in s)


def _next_vowel(c):
    order = "aeiou"
    if c.lower() in order:
        n = order[(order.index(c.lower()) + 1) % 5]
        return n.upper() if c.isupper() else n
    return c


def _dedupe_runs(s):
    return "".join(c for i, c in enumerate(s) if i == 0 or c != s[i - 1])


def _unique(s):
    seen = []
    for c in s:
        if c not in seen:
            seen.append(c)
    return "".join(seen)


def _alternate(s):
    return "".join(c.upper() if i % 2 == 0 else c.lower() for i, c in enumerate(s))


def _reverse_vowels(s):
    vs = [c for c in s if c in VOWELS]
    return "".join(vs.pop() if c in VOWELS else c for c in s)
'''

#: ``(name, description, expression in s)``; descriptions are written so they read after "the function".
ATOMICS: tuple[tuple[str, str, str], ...] = (
    ("upper", "converts all letters to uppercase", "s.upper()"),
    ("lower", "converts all letters to lowercase", "s.lower()"),
    ("capitalize", "capitalizes the first letter and lowercases the rest", "s.capitalize()"),
    ("title", "capitalizes the first letter of every word", "s.title()"),
    ("swapcase", "swaps the case of every letter", "s.swapcase()"),
    ("reverse", "reverses the string", "s[::-1]"),
    ("reverse_words", "reverses the order of the words", "' '.join(s.split(' ')[::-1])"),
    ("sort", "sorts the characters in alphabetical (code point) order", "''.join(sorted(s))"),
    ("sort_desc", "sorts the characters in reverse alphabetical (code point) order",
     "''.join(sorted(s, reverse=True))"),
    ("remove_vowels", "removes all vowels", "''.join(c for c in s if c not in VOWELS)"),
    ("keep_vowels", "keeps only the vowels", "''.join(c for c in s if c in VOWELS)"),
    ("upper_vowels", "uppercases the vowels", "''.join(c.upper() if c in VOWELS else c for c in s)"),
    ("upper_consonants", "uppercases the consonants",
     "''.join(c.upper() if c.isalpha() and c not in VOWELS else c for c in s)"),
    ("double_vowels", "doubles every vowel", "''.join(c * 2 if c in VOWELS else c for c in s)"),
    ("remove_digits", "removes all digits", "''.join(c for c in s if not c.isdigit())"),
    ("keep_digits", "keeps only the digits", "''.join(c for c in s if c.isdigit())"),
    ("remove_spaces", "removes all spaces", "s.replace(' ', '')"),
    ("duplicate", "repeats the string twice", "s + s"),
    ("double_chars", "doubles every character", "''.join(c * 2 for c in s)"),
    ("first_char", "returns the first character", "s[:1]"),
    ("last_char", "returns the last character", "s[-1:]"),
    ("first_three", "returns the first three characters", "s[:3]"),
    ("last_three", "returns the last three characters", "s[-3:]"),
    ("drop_first", "removes the first character", "s[1:]"),
    ("drop_last", "removes the last character", "s[:-1]"),
    ("drop_ends", "removes the first and the last character", "s[1:-1]"),
    ("rotate_left", "moves the first character to the end", "s[1:] + s[:1]"),
    ("rotate_right", "moves the last character to the front", "s[-1:] + s[:-1]"),
    ("shift1", "shifts every letter one place forward in the alphabet (z wraps to a)", "_shift(s, 1)"),
    ("shift2", "shifts every letter two places forward in the alphabet (wrapping)", "_shift(s, 2)"),
    ("shift3", "shifts every letter three places forward in the alphabet (wrapping)", "_shift(s, 3)"),
    ("unshift1", "shifts every letter one place back in the alphabet (a wraps to z)", "_shift(s, -1)"),
    ("rot13", "applies ROT13 (shifts every letter 13 places)", "_shift(s, 13)"),
    ("atbash", "maps every letter to its mirror in the alphabet (a<->z, b<->y, ...)", "_atbash(s)"),
    ("shift_by_length", "shifts every letter forward in the alphabet by the length of the string",
     "_shift(s, len(s))"),
    ("shift_by_first", "shifts every letter forward by the alphabet position of the first letter (a=0)",
     "_shift(s, (ord(s[0].lower()) - 97) if s and s[0].isalpha() else 0)"),
    ("next_vowel", "replaces every vowel by the next vowel (a->e, e->i, i->o, o->u, u->a)",
     "''.join(_next_vowel(c) for c in s)"),
    ("count_vowels", "returns the number of vowels", "str(sum(c in VOWELS for c in s))"),
    ("count_consonants", "returns the number of consonants",
     "str(sum(c.isalpha() and c not in VOWELS for c in s))"),
    ("length", "returns the length of the string", "str(len(s))"),
    ("count_upper", "returns the number of uppercase letters", "str(sum(c.isupper() for c in s))"),
    ("count_words", "returns the number of words", "str(len(s.split()))"),
    ("ord_sum", "returns the sum of the character codes", "str(sum(ord(c) for c in s))"),
    ("first_ord", "returns the character code of the first character", "str(ord(s[0])) if s else ''"),
    ("positions", "replaces every letter by its position in the alphabet, joined by '-'",
     "'-'.join(str(ord(c.lower()) - 96) for c in s if c.isalpha())"),
    ("leet_a", "replaces every 'a' by '@'", "s.replace('a', '@')"),
    ("leet_e", "replaces every 'e' by '3'", "s.replace('e', '3')"),
    ("leet_o", "replaces every 'o' by '0'", "s.replace('o', '0')"),
    ("space_underscore", "replaces spaces by underscores", "s.replace(' ', '_')"),
    ("append_ing", "appends 'ing'", "s + 'ing'"),
    ("prepend_un", "prepends 'un'", "'un' + s"),
    ("append_bang", "appends '!'", "s + '!'"),
    ("brackets", "wraps the string in square brackets", "'[' + s + ']'"),
    ("quotes", "wraps the string in double quotes", "'\"' + s + '\"'"),
    ("dashes", "inserts '-' between consecutive characters", "'-'.join(s)"),
    ("spaced", "inserts a space between consecutive characters", "' '.join(s)"),
    ("even_chars", "keeps the characters at even positions (1st, 3rd, 5th, ...)", "s[::2]"),
    ("odd_chars", "keeps the characters at odd positions (2nd, 4th, ...)", "s[1::2]"),
    ("swap_ends", "swaps the first and the last character", "s[-1:] + s[1:-1] + s[:1] if len(s) > 1 else s"),
    ("mirror", "appends the reversed string to the string", "s + s[::-1]"),
    ("dedupe_runs", "collapses runs of the same character into one", "_dedupe_runs(s)"),
    ("unique", "keeps only the first occurrence of every character", "_unique(s)"),
    ("alternate_case", "alternates case: uppercase at even positions, lowercase at odd ones", "_alternate(s)"),
    ("capitalize_last", "uppercases the last character", "s[:-1] + s[-1:].upper()"),
    ("triple_first", "repeats the first character three times at the start", "s[:1] * 2 + s"),
    ("vowels_to_end", "moves all vowels to the end, keeping their order",
     "''.join(c for c in s if c not in VOWELS) + ''.join(c for c in s if c in VOWELS)"),
    ("reverse_vowels", "reverses the order of the vowels, leaving other characters in place", "_reverse_vowels(s)"),
    ("is_palindrome", "returns 'True' if the string reads the same backwards, else 'False'",
     "str(s == s[::-1])"),
    ("starts_vowel", "returns 'yes' if the string starts with a vowel, else 'no'",
     "'yes' if s[:1] in VOWELS and s else 'no'"),
    ("length_binary", "returns the length of the string in binary", "bin(len(s))[2:]"),
    ("increment_digits", "adds one to every digit (9 wraps to 0)",
     "''.join(str((int(c) + 1) % 10) if c.isdigit() else c for c in s)"),
    ("hash_digits", "replaces every digit by '#'", "''.join('#' if c.isdigit() else c for c in s)"),
    ("star_consonants", "replaces every consonant by '*'",
     "''.join('*' if c.isalpha() and c not in VOWELS else c for c in s)"),
)

#: Words the generator probes behaviour with and draws test inputs from (mixed case, digits, spaces).
WORDS: tuple[str, ...] = (
    "apple", "banana", "cherry", "dragon", "elephant", "forest", "guitar", "harbor", "island", "jungle",
    "kitten", "lemon", "mountain", "nebula", "orange", "pencil", "quartz", "rainbow", "sunset", "tiger",
    "umbrella", "violin", "window", "xylophone", "yellow", "zebra", "level", "racecar", "noon", "Hello",
    "World", "Python", "OpenAI", "MIT", "code42", "room101", "abc123", "x9y8", "b4ck", "2024",
    "hello world", "good morning", "Data Science", "blue sky", "ice cream", "a", "io", "aeiou",
    "rhythm", "strength", "bookkeeper", "Mississippi", "queue", "Zigzag", "kayak", "puzzle", "Jazz",
    "moonlight", "butterfly", "keyboard", "galaxy", "horizon", "ocean", "pepper", "velvet", "whisper",
    "Amazon", "Berlin", "Cairo", "Delta", "echo", "fjord", "glyph", "hymn", "Ivy", "joke", "knight",
)
N_PROBES = 30


@dataclass(frozen=True)
class StringFunction:
    """One string black box and its ground truth.

    Attributes:
        id: ``"sNNNNN"``.
        ops: Names of the atomic operations, applied left to right.
        description: Reference description.
        test_inputs: 10 inputs the interpreter's code is scored on.
        unit_tests: 10 description unit tests ``{"candidates": [[in, out] x 3], "answer": index}``.
    """

    id: str
    ops: tuple[str, ...]
    description: str
    test_inputs: tuple[str, ...]
    unit_tests: tuple[dict[str, Any], ...] = field(default=())

    def code(self) -> str:
        """Ground-truth Python source defining ``f(s)``."""
        lines = [HELPERS.strip(), "", ""]
        for k, op in enumerate(self.ops):
            lines += [f"def step{k + 1}(s):", f"    # {_BY_NAME[op][1]}", f"    return {_BY_NAME[op][2]}", "", ""]
        body = "s"
        for k in range(len(self.ops)):
            body = f"step{k + 1}({body})"
        lines += ["def f(s):", f"    return {body}"]
        return "\n".join(lines) + "\n"

    def __call__(self, s: str) -> str:
        """The served function."""
        return compose(self.ops)(s)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-serialisable)."""
        return {"id": self.id, "ops": list(self.ops), "description": self.description, "code": self.code(),
                "test_inputs": list(self.test_inputs), "unit_tests": [dict(u) for u in self.unit_tests]}


_BY_NAME: dict[str, tuple[str, str, str]] = {a[0]: a for a in ATOMICS}
_NS: dict[str, Any] = {}
exec(HELPERS, _NS)  # our own helper source (shown to nobody's model), compiled once
_OPS: dict[str, Callable[[str], str]] = {
    name: eval(f"lambda s: {expr}", _NS) for name, _, expr in ATOMICS  # noqa: S307 - our own source
}


def compose(ops: Sequence[str]) -> Callable[[str], str]:
    """The function applying ``ops`` left to right."""
    fns = [_OPS[o] for o in ops]

    def f(s: str) -> str:
        for fn in fns:
            s = fn(s)
        return s

    return f


def describe(ops: Sequence[str]) -> str:
    """Reference description of a composition."""
    if len(ops) == 1:
        return f"The function {_BY_NAME[ops[0]][1]}."
    return f"The function first {_BY_NAME[ops[0]][1]}, then {_BY_NAME[ops[1]][1]}."


def generate_strings(n: int = 1000, seed: int = 0, p_simple: float = 0.3) -> list[StringFunction]:
    """The string functions ``s00000 ... s{n-1}``, deterministic given ``seed``.

    Args:
        n: How many functions (at most a few thousand distinct behaviours exist on the probes).
        seed: Generator seed.
        p_simple: Probability that a draw is a single operation rather than a composition of two.

    The first ``n`` of the full set of ``max(n, 1000)`` are returned, so a smaller ``n`` gives a prefix
    of the benchmark (with the same distractors in its unit tests), not a different set.

    Raises:
        ValueError: ``n`` distinct functions could not be found.
    """
    want, n = n, max(n, 1000)
    rng = np.random.default_rng(seed)
    names = [a[0] for a in ATOMICS]
    probes = tuple(WORDS[:N_PROBES])
    seen = {tuple(probes)}  # the identity's behaviour
    chosen: list[tuple[str, ...]] = []
    attempts = 0
    while len(chosen) < n:
        attempts += 1
        if attempts > 200 * n:
            raise ValueError(f"found only {len(chosen)} distinct string functions out of {n}")
        if rng.random() < p_simple:
            ops: tuple[str, ...] = (str(rng.choice(names)),)
        else:
            i, j = rng.choice(len(names), size=2, replace=False)
            ops = (names[i], names[j])
        f = compose(ops)
        behaviour = tuple(f(w) for w in probes)
        if behaviour in seen:
            continue
        seen.add(behaviour)
        chosen.append(ops)
    fns = [compose(o) for o in chosen]
    out = []
    for k, ops in enumerate(chosen):
        # Test inputs come from beyond the probe words, so they are not the words that defined uniqueness.
        inputs = tuple(str(w) for w in rng.choice(WORDS[N_PROBES // 2:], size=10, replace=False))
        tests = _unit_tests(k, fns, inputs, rng)
        out.append(StringFunction(f"s{k:05d}", ops, describe(ops), inputs, tests))
    return out[:want]


def _unit_tests(k: int, fns: Sequence[Callable[[str], str]], inputs: Sequence[str],
                rng: np.random.Generator) -> tuple[dict[str, Any], ...]:
    """For each input, the right pair and two pairs of other functions whose outputs differ from it."""
    tests = []
    for x in inputs:
        right = fns[k](x)
        outs = [right]
        for _ in range(200):
            j = int(rng.integers(len(fns)))
            if j == k:
                continue
            y = fns[j](x)
            if y not in outs:
                outs.append(y)
            if len(outs) == 3:
                break
        while len(outs) < 3:  # practically never: pad with a visibly different output
            outs.append(outs[-1] + "?")
        order = rng.permutation(3)
        cands = [[x, outs[int(o)]] for o in order]
        tests.append({"candidates": cands, "answer": int(np.where(order == 0)[0][0])})
    return tuple(tests)
