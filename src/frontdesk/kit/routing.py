"""Route lookup by path prefix, in front of FastAPI's one-by-one route matching.

FastAPI tries every route's regular expression in turn until one matches, about 7 µs a route; with
well over a hundred routes that was most of the framework's time on a cheap request. Here the routes
are filed in a trie by the literal segments their path starts with (``/api/v1/me`` under api → v1 →
me, ``/api/v1/widget/{token}/ws`` under api → v1 → widget), and a request is matched only against
the routes filed along its own path, in their original order. Order is what FastAPI's semantics rest
on (the first full match wins; a method mismatch is remembered as a partial match), so the
candidates are the same routes FastAPI would have reached, minus those that cannot match.

When no candidate matches, the stock router runs: it owns slash redirects, 404s and 405s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRouter
from starlette.routing import BaseRoute, Match, get_route_path
from starlette.types import Receive, Scope, Send


@dataclass
class _Node:
    # (position in the route list, route) for routes whose literal prefix ends at this node.
    here: list[tuple[int, BaseRoute]] = field(default_factory=list)
    children: dict[str, _Node] = field(default_factory=dict)


def _literal_prefix(path: str) -> list[str]:
    segments: list[str] = []
    for segment in path.strip("/").split("/"):
        if not segment or "{" in segment:
            break
        segments.append(segment)
    return segments


def _build(routes: list[BaseRoute]) -> _Node:
    root = _Node()
    for position, route in enumerate(routes):
        path = getattr(route, "path", None)
        node = root
        if isinstance(path, str):
            for segment in _literal_prefix(path):
                node = node.children.setdefault(segment, _Node())
        node.here.append((position, route))
    return root


class IndexedRouter(APIRouter):
    """FastAPI's router with a prefix index; install it with :func:`index_routes`."""

    _index: _Node
    _indexed_count: int

    def _candidates(self, path: str) -> list[BaseRoute]:
        if getattr(self, "_indexed_count", -1) != len(self.routes):
            self._index, self._indexed_count = _build(self.routes), len(self.routes)
        node: _Node | None = self._index
        found: list[tuple[int, BaseRoute]] = []
        for segment in path.strip("/").split("/"):
            assert node is not None
            found += node.here
            node = node.children.get(segment)
            if node is None:
                break
        if node is not None:
            found += node.here
        if len(found) > 1:
            found.sort(key=lambda item: item[0])
        return [route for _, route in found]

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await super().app(scope, receive, send)
            return
        scope.setdefault("router", self)
        partial: tuple[BaseRoute, Scope] | None = None
        for route in self._candidates(get_route_path(scope)):
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                scope.update(child_scope)
                await route.handle(scope, receive, send)
                return
            if match is Match.PARTIAL and partial is None:
                partial = (route, child_scope)
        if partial is not None:
            route, child_scope = partial
            scope.update(child_scope)
            await route.handle(scope, receive, send)
            return
        await super().app(scope, receive, send)


def index_routes(app: FastAPI) -> None:
    """Give ``app`` the indexed router, keeping every route and setting it already has."""
    router: Any = app.router
    router.__class__ = IndexedRouter
