"""The graph of a flow, parsed, and the checks that stand between a draft and a published version."""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from frontdesk.flows import expressions, templating
from frontdesk.flows.nodes import NODE_TYPES, Node, NodeBase
from frontdesk.flows.nodes.set_attribute import SetAttribute
from frontdesk.flows.nodes.set_state import SetState

MAX_NODES = 300
MAX_EDGES = 1000
_node_adapter: TypeAdapter[Any] = TypeAdapter(Node)


class Edge(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str = Field(min_length=1, max_length=80)
    target: str = Field(min_length=1, max_length=80)
    port: str = Field("next", min_length=1, max_length=30)


class GraphIn(BaseModel):
    """What the editor and the API send: nodes are checked one by one, so one bad node is one error."""

    model_config = ConfigDict(extra="forbid")

    start: str | None = Field(None, max_length=80)
    nodes: list[dict[str, Any]] = Field(default_factory=list, max_length=MAX_NODES)
    edges: list[Edge] = Field(default_factory=list, max_length=MAX_EDGES)


@dataclass
class Issue:
    node_id: str | None
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"node_id": self.node_id, "code": self.code, "message": self.message}


@dataclass
class Graph:
    start: str
    nodes: dict[str, NodeBase]
    edges: dict[tuple[str, str], str] = field(default_factory=dict)

    def next(self, node_id: str, port: str) -> str | None:
        return self.edges.get((node_id, port))


def _pydantic_issue(node_id: str | None, exc: ValidationError) -> list[Issue]:
    out = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"] if not isinstance(p, int) or True)
        out.append(Issue(node_id, "invalid_config", f"{where}: {err['msg']}" if where else err["msg"]))
    return out


def parse(raw: dict[str, Any]) -> tuple[Graph | None, list[Issue]]:
    """Parse and validate; the graph is returned only when there is no issue at all."""
    issues: list[Issue] = []
    try:
        data = GraphIn.model_validate(raw or {})
    except ValidationError as exc:
        return None, _pydantic_issue(None, exc)
    nodes: dict[str, NodeBase] = {}
    for item in data.nodes:
        node_id = item.get("id") if isinstance(item, dict) else None
        node_id = node_id if isinstance(node_id, str) else None
        if node_id in nodes:
            issues.append(Issue(node_id, "duplicate_node", f"Two nodes have the id {node_id!r}."))
            continue
        kind = item.get("type") if isinstance(item, dict) else None
        if kind not in NODE_TYPES:
            issues.append(Issue(node_id, "unknown_type", f"Unknown node type {kind!r}."))
            continue
        try:
            node = _node_adapter.validate_python(item)
        except ValidationError as exc:
            issues.extend(_pydantic_issue(node_id, exc))
            continue
        nodes[node.id] = node
        for problem in node.check():
            issues.append(Issue(node.id, "invalid_config", problem))
    known_ids = {n.get("id") for n in data.nodes if isinstance(n, dict)}
    if not data.nodes:
        issues.append(Issue(None, "empty", "The flow has no nodes."))
    if not data.start:
        issues.append(Issue(None, "no_start", "Choose the start node."))
    elif data.start not in known_ids:
        issues.append(Issue(None, "no_start", f"The start node {data.start!r} does not exist."))
    edges: dict[tuple[str, str], str] = {}
    for e in data.edges:
        if e.source not in known_ids or e.target not in known_ids:
            missing = e.source if e.source not in known_ids else e.target
            issues.append(
                Issue(
                    e.source if e.source in known_ids else None,
                    "dangling_edge",
                    f"An edge points at a missing node {missing!r}.",
                )
            )
            continue
        node = nodes.get(e.source)
        if node is not None and e.port not in (*node.ports, "failure"):
            issues.append(Issue(e.source, "invalid_port", f"{node.type} has no {e.port!r} exit."))
            continue
        if (e.source, e.port) in edges:
            issues.append(Issue(e.source, "duplicate_edge", f"The {e.port!r} exit is connected twice."))
            continue
        edges[(e.source, e.port)] = e.target
    # Jumps inside the flow count as edges for reachability and loops.
    links: dict[str, set[str]] = {nid: set() for nid in known_ids if isinstance(nid, str)}
    for (src, _), dst in edges.items():
        links.setdefault(src, set()).add(dst)
    for node in nodes.values():
        target = getattr(node, "target_node", None)
        if target:
            if target not in known_ids:
                issues.append(Issue(node.id, "dangling_edge", f"The jump target {target!r} does not exist."))
            else:
                links.setdefault(node.id, set()).add(target)
    if data.start is not None and data.start in known_ids:
        seen: set[str] = {data.start}
        todo: list[str] = [data.start]
        while todo:
            for nxt in links.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        for nid in known_ids:
            if isinstance(nid, str) and nid not in seen:
                issues.append(Issue(nid, "unreachable", "No path from the start leads here."))
    issues.extend(_loops_without_exit(nodes, links, edges))
    issues.extend(_unknown_variables(nodes))
    if issues or not data.start:
        return None, issues
    return Graph(start=data.start, nodes=nodes, edges=edges), []


def _sccs(links: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components, iteratively (a long chain must not hit the recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[set[str]] = []
    counter = 0
    for root in links:
        if root in index:
            continue
        work = [(root, iter(sorted(links.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(links.get(w, ())))))
                    advanced = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = set()
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.add(w)
                    if w == v:
                        break
                out.append(comp)
    return out


def _loops_without_exit(
    nodes: dict[str, NodeBase], links: dict[str, set[str]], edges: dict[tuple[str, str], str]
) -> list[Issue]:
    """A cycle must have a way out: an edge leaving it, or an exit left unconnected (which ends the flow)."""
    issues = []
    for comp in _sccs(links):
        if not (len(comp) > 1 or any(n in links.get(n, ()) for n in comp)):
            continue
        leaves = any(dst not in comp for src in comp for dst in links.get(src, ()))
        open_exit = any(
            (n, port) not in edges
            for n in comp
            if n in nodes and not getattr(nodes[n], "target_node", None)
            for port in nodes[n].ports
            if port in ("next", "true", "false")  # error exits (invalid, failure) are not a way out by design
        )
        if leaves or open_exit:
            continue
        waiting = [n for n in sorted(comp) if n in nodes and nodes[n].waits]
        if waiting:
            issues.append(Issue(waiting[0], "loop_without_exit", "This node waits inside a loop that has no way out."))
        else:
            issues.append(Issue(sorted(comp)[0], "loop_without_exit", "These nodes loop for ever with no way out."))
    return issues


def _unknown_variables(nodes: dict[str, NodeBase]) -> list[Issue]:
    written = {w for n in nodes.values() for w in n.writes()}
    issues = []
    for node in nodes.values():
        texts = list(node.templates())
        paths: list[str] = []
        for text in texts:
            try:
                paths.extend(templating.variables(text or ""))
            except templating.TemplateError as exc:
                issues.append(Issue(node.id, "invalid_template", str(exc)))
        if isinstance(node, SetState | SetAttribute) and node.source == "expression":
            with contextlib.suppress(expressions.ExpressionError):  # reported by the node's own check
                paths.extend(expressions.variables(str(node.value or "")))
        for path in paths:
            parts = path.split(".")
            if parts[0] == "state" and len(parts) > 1 and f"state.{parts[1]}" not in written:
                issues.append(
                    Issue(
                        node.id,
                        "unknown_variable",
                        f"{{{{{path}}}}} is never set by an ask, set_state or webhook node.",
                    )
                )
    return issues


_cache: OrderedDict[str, Graph] = OrderedDict()


def cached(key: str, raw: dict[str, Any]) -> Graph | None:
    """Published versions never change, so a parsed graph is reused by key (the version id)."""
    hit = _cache.get(key)
    if hit is not None:
        _cache.move_to_end(key)
        return hit
    graph, _ = parse(raw)
    if graph is not None:
        _cache[key] = graph
        if len(_cache) > 512:
            _cache.popitem(last=False)
    return graph
