"""Documents of the sandbox's members, as counts: what a hand-off on deactivation moves (docs/sigma-api.md §2.5, §2.6)."""

from __future__ import annotations

from .store import Store


class Documents(Store):
    """The ``document_counts`` table: documents each member owns, and how many of theirs were archived."""

    def document_counts(self, member_id: str) -> dict[str, int]:
        """``{"owned": n, "archived": n}``: documents a member owns / had archived."""
        with self.lock:
            r = self._one("SELECT owned, archived FROM document_counts WHERE member_id=?", (member_id,))
            return {"owned": r["owned"], "archived": r["archived"]} if r else {"owned": 0, "archived": 0}

    def _move_documents(self, from_id: str, to_id: str | None, archive: bool) -> None:
        """Hand every document ``from_id`` owns to ``to_id``, or archive them (``archive`` or no ``to_id``)."""
        r = self._one("SELECT owned FROM document_counts WHERE member_id=?", (from_id,))
        owned = r["owned"] if r else 0
        if not owned:
            return
        self._x("UPDATE document_counts SET owned=0 WHERE member_id=?", (from_id,))
        if archive or to_id is None:
            self._x("UPDATE document_counts SET archived=archived+? WHERE member_id=?", (owned, from_id))
        else:
            self._x(
                "INSERT INTO document_counts(member_id, owned) VALUES (?, ?) "
                "ON CONFLICT(member_id) DO UPDATE SET owned=owned+excluded.owned",
                (to_id, owned),
            )
