"""A clearing run's book as arrays, and its plan: what `debt.runs` feeds the engine with.

No Django here, so `bench/debt_replan.py` times exactly what the run service does: the first plan
over the snapshot, and the re-plan over the same snapshot without the companies that rejected.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

import numpy as np

from debt import clearing


@dataclass(frozen=True, eq=False)
class Book:
    """Confirmed obligations with something outstanding, in obligation id order."""

    obligation: np.ndarray  # int64 obligation ids
    debtor: np.ndarray  # int64 company ids
    creditor: np.ndarray  # int64 company ids
    amount_fen: np.ndarray  # int64 outstanding, fen
    due_day: np.ndarray  # int32 days since 1970-01-01: the priority (earliest due set off first)

    @property
    def size(self) -> int:
        return int(self.obligation.size)

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(buffer, obligation=self.obligation, debtor=self.debtor, creditor=self.creditor,
                            amount_fen=self.amount_fen, due_day=self.due_day)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Book:
        with np.load(io.BytesIO(bytes(data))) as arrays:
            return cls(**{name: arrays[name] for name in ("obligation", "debtor", "creditor", "amount_fen",
                                                          "due_day")})

    @classmethod
    def from_rows(cls, rows) -> Book:
        """From (obligation id, debtor id, creditor id, fen, due day) tuples."""
        table = np.array(list(rows), dtype=np.int64).reshape(-1, 5)
        return cls(obligation=table[:, 0].copy(), debtor=table[:, 1].copy(), creditor=table[:, 2].copy(),
                   amount_fen=table[:, 3].copy(), due_day=table[:, 4].astype(np.int32))


def plan_setoff(book: Book, excluded_companies=()) -> np.ndarray:
    """The optimal set-off (fen) per obligation of the book, leaving out every obligation of the
    `excluded_companies` (those that rejected their part: they get zero). Verified before it is
    returned; raises clearing.SetoffInvariantError if the engine's answer breaks an invariant."""
    keep = np.ones(book.size, bool)
    excluded = np.asarray(list(excluded_companies), dtype=np.int64)
    if excluded.size:
        keep &= ~(np.isin(book.debtor, excluded) | np.isin(book.creditor, excluded))
    debtor, creditor, amount = book.debtor[keep], book.creditor[keep], book.amount_fen[keep]
    result = clearing.clear(debtor, creditor, amount, priority=book.due_day[keep])
    clearing.verify_setoff(debtor, creditor, amount, result.setoff)
    setoff = np.zeros(book.size, np.int64)
    setoff[keep] = result.setoff
    return setoff


@dataclass(frozen=True)
class Part:
    """One company's share of a plan (fen)."""

    company: int
    owed_by_before: int
    owed_to_before: int
    setoff_as_debtor: int
    setoff_as_creditor: int
    obligations: int
    digest: str  # changes whenever any of its set-offs changes


def parts(book: Book, setoff: np.ndarray) -> dict[int, Part]:
    """The part of every company with some set-off. Before-figures cover all its obligations in
    the book; a company's set-off as debtor equals its set-off as creditor (checked)."""
    if book.size == 0:
        return {}
    companies, codes = np.unique(np.concatenate([book.debtor, book.creditor]), return_inverse=True)
    debtor_code, creditor_code = codes[: book.size], codes[book.size:]
    count = companies.size

    owed_by, owed_to = _sum_by(debtor_code, book.amount_fen, count), _sum_by(creditor_code, book.amount_fen, count)
    given, received = _sum_by(debtor_code, setoff, count), _sum_by(creditor_code, setoff, count)
    if not np.array_equal(given, received):
        raise clearing.SetoffInvariantError("set-off changes a company's net position")
    cleared = np.flatnonzero(setoff > 0)
    touched = np.bincount(debtor_code[cleared], minlength=count) + np.bincount(creditor_code[cleared], minlength=count)
    digests = {}
    for index in cleared.tolist():  # obligation id order, so the digest does not depend on anything else
        line = f"{book.obligation[index]}:{setoff[index]};".encode()
        for code in (debtor_code[index], creditor_code[index]):
            digests.setdefault(int(code), hashlib.sha256()).update(line)
    return {
        int(companies[code]): Part(
            company=int(companies[code]), owed_by_before=int(owed_by[code]), owed_to_before=int(owed_to[code]),
            setoff_as_debtor=int(given[code]), setoff_as_creditor=int(received[code]),
            obligations=int(touched[code]), digest=digest.hexdigest())
        for code, digest in digests.items()
    }


def _sum_by(code, values, count):
    out = np.zeros(count, np.int64)
    np.add.at(out, code, values)
    return out
