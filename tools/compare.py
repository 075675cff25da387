"""How a re-executed cell's outputs are compared with the committed ones.

Two ways, chosen per notebook by tools/verify.py (README, "Reproducibility"):

- ``exact``: every text output equal after the sanitizer, every image equal pixel for
  pixel. On the CPU model that executed the notebook, and everywhere for a framework
  measured bit-identical across CPU models (:data:`EXACT_EVERYWHERE`).
- ``tolerant``: on another CPU model. Text is compared token by token: the words and
  punctuation must be the same (whitespace aside), and each printed number may differ
  from the committed one by a relative ``rtol``, plus one unit in its last printed digit
  where it is a rounded decimal (a drift of 1e-9 can flip 4.615 to 4.62). Images are
  compared by their RMS difference (``matplotlib.testing.compare.calculate_rms``, on
  the 0-255 scale), at most ``rms``.

The defaults are calibrated from measured cross-CPU drift (README). A cell may widen
them with tags, and the chapter source says why next to the cell, in the code cell's
``:bounds_reason:`` option: ``rtol-<x>`` (each number within a relative x), ``atol-<x>``
(within an absolute x, for a printed rounding error such as "largest difference
7.5e-08", whose relative change means nothing), ``rms-<x>`` (each image), and
``words-vary`` (text sampled from a trained model, where one flipped character changes
the rest: only its numbers are compared). On a GPU the text of untrained cells is
compared exactly and their images as in ``tolerant`` (cells tagged ``trained`` are not
compared there).

Standard library only at import time (numpy and matplotlib are imported for images):
the nbval plugin (tools/nbval_compare.py) imports this in every framework's environment.
"""

from __future__ import annotations

import base64
import io
import math
import re
from dataclasses import dataclass
from typing import Iterable

#: Relative difference allowed for each printed number on another CPU model: across CPU
#: models 95% of the recorded figures moved by less than 1e-3 (README, "Reproducibility").
DEFAULT_RTOL = 1e-3
#: RMS difference allowed between two images on another CPU model (0-255 scale).
DEFAULT_RMS = 1.0

#: Frameworks whose outputs were bit-identical on every CPU model tried: compared
#: exactly everywhere, with the models they were measured on.
EXACT_EVERYWHERE = {
    "mxnet": ("GenuineIntel family 6 model 207, AuthenticAMD family 25 model 17 and "
              "AuthenticAMD family 26 model 2: every recorded figure bit-identical"),
}

MODES = ("exact", "tolerant")
IMAGE_TYPES = ("image/png",)

# A printed number: optional sign, digits with optional thousands separators, optional
# decimals, optional exponent ("-1,234.5", ".5", "3e-05", "4.").
NUMBER = re.compile(r"[-+]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_TAG = re.compile(r"^(rtol|atol|rms)-(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)$")
WORDS_VARY = "words-vary"
#: The cell metadata (a MyST code-cell option) that says why a cell's bounds are wider.
BOUNDS_REASON = "bounds_reason"


@dataclass(frozen=True)
class Bounds:
    """What a cell's outputs may differ by (``tolerant`` only)."""

    rtol: float = DEFAULT_RTOL
    rms: float = DEFAULT_RMS
    atol: float = 0.0
    words_vary: bool = False


def widens(tag: str) -> bool:
    """Whether a cell tag widens the tolerant comparison's bounds."""
    return bool(_TAG.match(tag)) or tag == WORDS_VARY


def cell_bounds(tags: Iterable[str]) -> Bounds:
    """The defaults, widened by a cell's ``rtol-``, ``atol-``, ``rms-`` and ``words-vary`` tags."""
    found: dict[str, float] = {}
    for tag in tags:
        match = _TAG.match(tag)
        if match is None:
            if tag.startswith(("rtol", "atol", "rms", "words")) and tag != WORDS_VARY:
                raise ValueError(f"cell tag {tag!r}: expected rtol-<number>, atol-<number>, "
                                 f"rms-<number> or {WORDS_VARY}, e.g. rtol-0.01")
            continue
        found[match[1]] = float(match[2])
    return Bounds(found.get("rtol", DEFAULT_RTOL), found.get("rms", DEFAULT_RMS),
                  found.get("atol", 0.0), WORDS_VARY in tags)


@dataclass
class Outcome:
    """One comparison: equal or not, why not, and how far apart the numbers were."""

    ok: bool
    identical: bool
    largest_rel: float = 0.0  # largest relative difference of a printed number
    rms: float = 0.0  # an image's RMS difference
    message: str = ""


def _value(token: str) -> float:
    return float(token.replace(",", ""))


def _last_digit_unit(token: str) -> float:
    """One unit in the last printed digit of a rounded decimal ("4.62" -> 0.01,
    "3.1e-05" -> 1e-06, "21,942" -> 1); 0 for a plain integer, which may be a count."""
    mantissa, _, exponent = token.lower().partition("e")
    if "." in mantissa:
        decimals = len(mantissa.split(".", 1)[1])
    elif "," in mantissa or exponent:
        decimals = 0
    else:
        return 0.0
    return 10.0 ** (int(exponent or 0) - decimals)


def _split(text: str) -> tuple[list[str], list[str]]:
    """The words between numbers (whitespace removed) and the numbers."""
    numbers = NUMBER.findall(text)
    words = ["".join(part.split()) for part in NUMBER.split(text)]
    return words, numbers


def compare_text(reference: str, test: str, mode: str, bounds: Bounds = Bounds()) -> Outcome:
    """Compare one text output with the committed one."""
    if reference == test:
        return Outcome(True, True)
    if mode == "exact":
        return Outcome(False, False, message="the text differs (compared exactly)")
    if bounds.words_vary:
        reference, test = (" ".join(NUMBER.findall(t)) for t in (reference, test))
    rtol = bounds.rtol
    ref_words, ref_numbers = _split(reference)
    test_words, test_numbers = _split(test)
    if ref_words != test_words or len(ref_numbers) != len(test_numbers):
        for a, b in zip(ref_words, test_words):
            if a != b:
                return Outcome(False, False, message=f"the words differ: {a!r} became {b!r}")
        return Outcome(False, False, message=f"{len(ref_numbers)} numbers became {len(test_numbers)}")
    largest = 0.0
    for a, b in zip(ref_numbers, test_numbers):
        if a == b:
            continue
        x, y = _value(a), _value(b)
        if x == y:
            continue
        scale = max(abs(x), abs(y))
        rel = abs(x - y) / scale if scale else 0.0
        largest = max(largest, rel)
        unit = max(_last_digit_unit(a), _last_digit_unit(b))
        if not math.isfinite(rel) or abs(x - y) > max(rtol * scale, bounds.atol) + unit:
            return Outcome(False, False, largest, message=
                           f"{a} became {b}: relative difference {rel:.2e} > rtol {rtol:g}"
                           + (f", absolute {abs(x - y):.2e} > atol {bounds.atol:g}" if bounds.atol else "")
                           + (" (plus one unit in the last digit)" if unit else ""))
    return Outcome(True, False, largest)


def _pixels(png_base64: str):
    import numpy as np
    from matplotlib import image

    pixels = image.imread(io.BytesIO(base64.b64decode(png_base64)), format="png")
    return np.round(np.asarray(pixels) * 255).astype(np.int16)


def image_rms(reference_png: str, test_png: str) -> float:
    """RMS difference of two base64 PNGs on the 0-255 scale (inf if their sizes differ)."""
    from matplotlib.testing.compare import calculate_rms

    a, b = _pixels(reference_png), _pixels(test_png)
    if a.shape != b.shape:
        return math.inf
    return float(calculate_rms(a, b))


def compare_image(reference_png: str, test_png: str, mode: str, rms: float = DEFAULT_RMS) -> Outcome:
    """Compare one PNG output with the committed one: pixel for pixel, or within ``rms``."""
    if "".join(reference_png.split()) == "".join(test_png.split()):
        return Outcome(True, True)
    distance = image_rms(reference_png, test_png)
    if distance == 0:
        return Outcome(True, True)
    if mode == "exact":
        return Outcome(False, False, rms=distance,
                       message=f"the image differs (RMS {distance:.3g}, compared exactly)")
    if distance > rms:
        what = "its size differs" if math.isinf(distance) else f"RMS {distance:.3g} > {rms:g}"
        return Outcome(False, False, rms=distance, message=f"the image differs: {what}")
    return Outcome(True, False, rms=distance)
