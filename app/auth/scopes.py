"""The scope ladder, apart from the table so the command line can name it cheaply."""

import enum


class Scope(enum.StrEnum):
    """What a key may do; each scope includes the ones below it (admin ⊃ write ⊃ read)."""

    read = "read"
    write = "write"
    admin = "admin"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def allows(self, needed: "Scope") -> bool:
        return self.rank >= needed.rank


_RANK = {Scope.read: 0, Scope.write: 1, Scope.admin: 2}
