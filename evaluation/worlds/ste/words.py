"""Numbers written out in English and Spanish (what the number-to-words APIs of the STE set return).

Written here rather than taken from a package: the rules are short, and the world must not depend on a
package only for them.
"""

from __future__ import annotations

_EN_SMALL = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
             "sixteen seventeen eighteen nineteen").split()
_EN_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_EN_SCALES = ("", "thousand", "million", "billion", "trillion", "quadrillion", "quintillion", "sextillion",
              "septillion", "octillion", "nonillion", "decillion")


def _en_below_thousand(n: int) -> list[str]:
    words: list[str] = []
    if n >= 100:
        words += [_EN_SMALL[n // 100], "hundred"]
        n %= 100
    if n >= 20:
        tens, unit = divmod(n, 10)
        words.append(_EN_TENS[tens] + (f"-{_EN_SMALL[unit]}" if unit else ""))
    elif n or not words:
        words.append(_EN_SMALL[n])
    return words


def english_words(n: int) -> str:
    """``n`` in English words, short scale, hyphenated tens ("twenty-three", "one hundred five").

    Raises:
        ValueError: ``abs(n)`` needs a scale beyond decillions (10**36 and more).
    """
    if n < 0:
        return "minus " + english_words(-n)
    if n == 0:
        return "zero"
    groups: list[int] = []
    while n:
        n, rem = divmod(n, 1000)
        groups.append(rem)
    if len(groups) > len(_EN_SCALES):
        raise ValueError("number too large")
    words: list[str] = []
    for i in range(len(groups) - 1, -1, -1):
        if groups[i]:
            words += _en_below_thousand(groups[i]) + ([_EN_SCALES[i]] if _EN_SCALES[i] else [])
    return " ".join(words)


_ES_UNITS = ("cero uno dos tres cuatro cinco seis siete ocho nueve diez once doce trece catorce quince "
             "dieciseis diecisiete dieciocho diecinueve veinte veintiuno veintidos veintitres veinticuatro "
             "veinticinco veintiseis veintisiete veintiocho veintinueve").split()
_ES_TENS = "_ _ _ treinta cuarenta cincuenta sesenta setenta ochenta noventa".split()
_ES_HUNDREDS = ("_ ciento doscientos trescientos cuatrocientos quinientos seiscientos setecientos ochocientos "
                "novecientos").split()


def _es_below_thousand(n: int, apocope: bool) -> str:
    """0 < n < 1000 in words; ``apocope`` when a noun (mil, millones) follows."""
    parts: list[str] = []
    if n == 100:
        return "cien"
    if n >= 100:
        parts.append(_ES_HUNDREDS[n // 100])
        n %= 100
    if n >= 30:
        tens, unit = divmod(n, 10)
        parts.append(_ES_TENS[tens] + (f" y {_ES_UNITS[unit]}" if unit else ""))
    elif n:
        parts.append(_ES_UNITS[n])
    text = " ".join(parts)
    # "uno" loses its last letter before a noun: veintiun mil, treinta y un millones.
    return text[:-1] if apocope and text.endswith("uno") else text


def spanish_words(n: int) -> str:
    """``n`` in Spanish words without accents, as the currency APIs write them (upper-cased by the caller).

    Raises:
        ValueError: ``n`` is negative or reaches a billon (10**12).
    """
    if n < 0 or n >= 10**12:
        raise ValueError("number out of range")
    if n == 0:
        return "cero"
    millions, rest = divmod(n, 10**6)
    thousands, units = divmod(rest, 1000)
    parts: list[str] = []
    if millions:
        parts.append("un millon" if millions == 1 else _spanish_thousands(millions, apocope=True) + " millones")
    if thousands:
        parts.append("mil" if thousands == 1 else _es_below_thousand(thousands, apocope=True) + " mil")
    if units:
        parts.append(_es_below_thousand(units, apocope=False))
    return " ".join(parts)


def _spanish_thousands(n: int, apocope: bool) -> str:
    """1 <= n < 10**6 (the count of millions)."""
    thousands, units = divmod(n, 1000)
    parts = []
    if thousands:
        parts.append("mil" if thousands == 1 else _es_below_thousand(thousands, apocope=True) + " mil")
    if units:
        parts.append(_es_below_thousand(units, apocope=apocope))
    return " ".join(parts)
