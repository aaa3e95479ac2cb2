"""Idle polls that back off: a background worker that keeps finding nothing to do looks less
and less often, up to a cap, instead of querying the database several times a second for as
long as the server runs (an idle API process spent about 1.7 % of a core on its polls). Work
found, or a wake-up from this process's own writes, brings it back to its base interval."""

from dataclasses import dataclass, field


@dataclass
class IdleBackoff:
    """The wait after each look that found nothing: `base`, then twice as long each time, up
    to `cap` (never below `base`; a cap of None keeps every wait at `base`)."""

    base: float
    cap: float | None = None
    _next: float = field(init=False)

    def __post_init__(self) -> None:
        self._next = self.base

    def idle(self) -> float:
        """How long to wait now; the next idle wait is longer."""
        wait = self._next
        if self.cap is not None:
            self._next = min(max(self.cap, self.base), self._next * 2)
        return wait

    def reset(self) -> None:
        """Work was found (or the worker was woken): back to `base`."""
        self._next = self.base
