"""Command-palette entries for the Workflows screen's own bindings ("Workflows: Diff (D)")."""

from __future__ import annotations

from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider


class WorkflowCommands(Provider):
    """Every binding of the current screen that has a description, as a palette command."""

    def _commands(self) -> list[tuple[str, str]]:
        screen = self.screen
        out: list[tuple[str, str]] = []
        for binding in type(screen).BINDINGS:
            if isinstance(binding, Binding) and binding.description:
                key = binding.key_display or binding.key.split(",")[0]
                out.append((f"Workflows: {binding.description} ({key})", binding.action))
        return out

    async def discover(self) -> Hits:
        for text, action in self._commands():
            yield DiscoveryHit(text, partial(self.screen.run_action, action))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, action in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), partial(self.screen.run_action, action),
                          text=text)
