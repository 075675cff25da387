"""Framework-free text helpers: a vocabulary that maps tokens (here, characters) to indices.

The framework modules re-export `Vocab`, so chapters write ``d2l.Vocab(...)``.
"""

from __future__ import annotations

import collections
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["Vocab"]


class Vocab:
    """Indices for tokens, such as the characters of a text, and tokens for indices.

    Index 0 is the unknown token `unk_token`, which stands for every token the vocabulary
    does not hold; the `reserved_tokens` (an end-of-sequence marker, say) come next, in
    the order given; then every token of `tokens` that occurs at least `min_freq` times,
    in sorted order, so that the same tokens always get the same indices.

    >>> vocab = Vocab("banana", reserved_tokens=["<eos>"])
    >>> vocab.idx_to_token
    ['<unk>', '<eos>', 'a', 'b', 'n']
    >>> vocab[list("nab")], vocab["z"]
    ([4, 2, 3], 0)
    >>> "".join(vocab.to_tokens([3, 2, 4]))
    'ban'
    """

    def __init__(self, tokens: Iterable[str] = (), reserved_tokens: Sequence[str] = (),
                 min_freq: int = 1, unk_token: str = "<unk>") -> None:
        if isinstance(reserved_tokens, str) or not isinstance(reserved_tokens, Sequence):
            raise TypeError("reserved_tokens must be a list or tuple of strings such as "
                            f"['<eos>'], got {type(reserved_tokens).__name__} {reserved_tokens!r}")
        if isinstance(min_freq, bool) or not isinstance(min_freq, numbers.Integral):
            raise TypeError(f"min_freq must be an int, got {type(min_freq).__name__} {min_freq!r}")
        if min_freq < 1:
            raise ValueError(f"min_freq must be >= 1, got {min_freq}")
        special = [unk_token, *reserved_tokens]
        for token in special:
            _check_token(token, "reserved and unknown tokens")
        if len(set(special)) != len(special):
            raise ValueError(f"the unknown and reserved tokens must be distinct, got {special}")
        try:
            tokens = list(tokens)
        except TypeError:
            raise TypeError("tokens must be an iterable of strings (a str is one of "
                            f"characters), got {type(tokens).__name__}") from None
        for token in tokens:
            _check_token(token, "tokens")
        counts = collections.Counter(tokens)
        #: (token, count) for every distinct token of `tokens`, most frequent first
        self.token_freqs: list[tuple[str, int]] = sorted(counts.items(),
                                                          key=lambda item: (-item[1], item[0]))
        kept = sorted(t for t, n in counts.items() if n >= min_freq and t not in special)
        #: the tokens in index order
        self.idx_to_token: list[str] = special + kept
        #: the index of each token
        self.token_to_idx: dict[str, int] = {t: i for i, t in enumerate(self.idx_to_token)}

    def __len__(self) -> int:
        return len(self.idx_to_token)

    def __contains__(self, token: object) -> bool:
        return token in self.token_to_idx

    def __repr__(self) -> str:
        return f"Vocab({len(self)} tokens)"

    @property
    def unk(self) -> int:
        """The index of the unknown token (0)."""
        return 0

    def __getitem__(self, tokens: str | Sequence[str]) -> int | list[int]:
        """The index of one token, or the list of indices of a list or tuple of tokens;
        tokens the vocabulary does not hold get the unknown token's index."""
        if isinstance(tokens, str):
            return self.token_to_idx.get(tokens, self.unk)
        if not isinstance(tokens, (list, tuple)):
            raise TypeError("expected a token (str) or a list or tuple of tokens, got "
                            f"{type(tokens).__name__}; for the characters of a text s, "
                            "use vocab[list(s)]")
        for token in tokens:
            if not isinstance(token, str):
                raise TypeError(f"tokens must be strings, got {type(token).__name__} {token!r}")
        return [self.token_to_idx.get(t, self.unk) for t in tokens]

    def to_tokens(self, indices: Any) -> str | list[str]:
        """The token of one index, or the list of tokens of a sequence of indices (a
        list, a tuple or a 1-D numpy array)."""
        if _is_index(indices):
            return self.idx_to_token[self._check_index(indices)]
        if isinstance(indices, str) or not hasattr(indices, "__iter__"):
            raise TypeError("expected an int index or a sequence of int indices, got "
                            f"{type(indices).__name__} {indices!r}")
        out = []
        for i in indices:
            if not _is_index(i):
                raise TypeError(f"indices must be ints, got {type(i).__name__} {i!r}")
            out.append(self.idx_to_token[self._check_index(i)])
        return out

    def _check_index(self, i: Any) -> int:
        i = int(i)
        if not 0 <= i < len(self):
            raise ValueError(f"index {i} is out of range for a vocabulary of {len(self)} "
                             f"tokens (0 .. {len(self) - 1})")
        return i


def _is_index(x: Any) -> bool:
    """An int, a numpy integer or a 0-d integer array, but not a bool."""
    if isinstance(x, bool):
        return False
    if isinstance(x, numbers.Integral):  # also numpy's integer scalars
        return True
    dtype = getattr(x, "dtype", None)  # a 0-d integer array
    return getattr(x, "shape", None) == () and getattr(dtype, "kind", "") in ("i", "u")


def _check_token(token: Any, what: str) -> None:
    if not isinstance(token, str):
        raise TypeError(f"{what} must be strings, got {type(token).__name__} {token!r}")
    if not token:
        raise ValueError(f"{what} must be non-empty strings, got {token!r}")
