// The SVG canvas: nodes as boxes, exits as circles, connections as curves. Dragging a box moves it;
// dragging from an exit to a box connects them; a click selects. No diagram library: plain SVG.

import { PORTS } from "./flow-editor-forms.js";

const SVG = "http://www.w3.org/2000/svg";
export const W = 190;
export const H = 58;

function s(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function portsOf(node) {
  return PORTS[node.type] || ["next"];
}

function portXY(node, port) {
  const ports = portsOf(node);
  const i = ports.indexOf(port);
  const step = W / (ports.length + 1);
  return [node.position.x + step * (i + 1), node.position.y + H];
}

function curve(x1, y1, x2, y2) {
  const dy = Math.max(40, Math.abs(y2 - y1) / 2);
  return `M${x1},${y1} C${x1},${y1 + dy} ${x2},${y2 - dy} ${x2},${y2}`;
}

export class Canvas {
  constructor(svg, editor) {
    this.svg = svg;
    this.editor = editor;
    this.drag = null;
    svg.addEventListener("pointermove", (e) => this.move(e));
    svg.addEventListener("pointerup", (e) => this.drop(e));
    svg.addEventListener("pointerdown", (e) => {
      if (e.target === svg) editor.select(null);
    });
  }

  point(e) {
    const box = this.svg.getBoundingClientRect();
    return [e.clientX - box.left + this.svg.parentElement.scrollLeft * 0, e.clientY - box.top];
  }

  draw() {
    const { graph, selected, issuesByNode } = this.editor;
    const svg = this.svg;
    svg.replaceChildren();
    const maxX = Math.max(800, ...graph.nodes.map((n) => n.position.x + W + 60));
    const maxY = Math.max(480, ...graph.nodes.map((n) => n.position.y + H + 80));
    svg.setAttribute("viewBox", `0 0 ${maxX} ${maxY}`);
    svg.setAttribute("width", maxX);
    svg.setAttribute("height", maxY);
    const byId = new Map(graph.nodes.map((n) => [n.id, n]));
    graph.edges.forEach((edge, index) => {
      const a = byId.get(edge.source);
      const b = byId.get(edge.target);
      if (!a || !b) return;
      const [x1, y1] = portXY(a, edge.port);
      const x2 = b.position.x + W / 2;
      const y2 = b.position.y;
      const chosen = selected && selected.edge === index;
      const path = s("path", { d: curve(x1, y1, x2, y2), class: `flow-edge${chosen ? " is-selected" : ""} port-${edge.port}`, tabindex: 0 });
      path.append(s("title", {}, `${edge.source} (${edge.port}) → ${edge.target}`));
      path.addEventListener("pointerdown", (e) => {
        e.stopPropagation();
        this.editor.select({ edge: index });
      });
      svg.append(path);
    });
    for (const node of graph.nodes) {
      const issues = issuesByNode.get(node.id) || [];
      const chosen = selected && selected.node === node.id;
      const g = s("g", {
        class: `flow-node${chosen ? " is-selected" : ""}${issues.length ? " has-issues" : ""}`,
        transform: `translate(${node.position.x},${node.position.y})`,
        "data-node": node.id,
        tabindex: 0,
        role: "button",
        "aria-label": `${node.type} ${node.id}${issues.length ? `, ${issues.length} problem(s)` : ""}`,
      });
      g.append(s("rect", { width: W, height: H, rx: 8 }));
      g.append(s("text", { x: 10, y: 22, class: "flow-node-title" }, (node.label || node.id).slice(0, 24)));
      g.append(s("text", { x: 10, y: 42, class: "flow-node-kind" }, node.type + (graph.start === node.id ? " ▶ start" : "")));
      if (issues.length) {
        g.append(s("circle", { cx: W - 12, cy: 12, r: 8, class: "flow-node-badge" }));
        g.append(s("title", {}, issues.map((i) => i.message).join("\n")));
      }
      g.addEventListener("pointerdown", (e) => {
        e.stopPropagation();
        this.editor.select({ node: node.id });
        const [px, py] = this.point(e);
        this.drag = { kind: "move", node, dx: px - node.position.x, dy: py - node.position.y };
        this.svg.setPointerCapture(e.pointerId);
      });
      g.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") this.editor.select({ node: node.id });
      });
      svg.append(g);
      for (const port of portsOf(node)) {
        const [cx, cy] = portXY(node, port);
        const c = s("circle", { cx, cy, r: 7, class: `flow-port port-${port}` });
        c.append(s("title", {}, `${port}: drag to a node to connect`));
        c.addEventListener("pointerdown", (e) => {
          e.stopPropagation();
          if (!this.editor.canManage) return;
          this.drag = { kind: "connect", node, port, line: s("path", { class: "flow-edge is-drawing" }) };
          svg.append(this.drag.line);
          this.svg.setPointerCapture(e.pointerId);
        });
        svg.append(c, s("text", { x: cx + 8, y: cy + 14, class: "flow-port-label" }, port));
      }
    }
  }

  move(e) {
    if (!this.drag) return;
    const [px, py] = this.point(e);
    if (this.drag.kind === "move" && this.editor.canManage) {
      this.drag.node.position = { x: Math.max(0, Math.round(px - this.drag.dx)), y: Math.max(0, Math.round(py - this.drag.dy)) };
      this.drag.moved = true;
      this.draw();
    } else if (this.drag.kind === "connect") {
      const [x1, y1] = portXY(this.drag.node, this.drag.port);
      this.drag.line.setAttribute("d", curve(x1, y1, px, py));
    }
  }

  drop(e) {
    const drag = this.drag;
    this.drag = null;
    if (!drag) return;
    if (drag.kind === "move") {
      if (drag.moved) this.editor.changed();
      return;
    }
    const [px, py] = this.point(e);
    const target = this.editor.graph.nodes.find(
      (n) => px >= n.position.x && px <= n.position.x + W && py >= n.position.y && py <= n.position.y + H,
    );
    if (target && target.id !== drag.node.id) this.editor.connect(drag.node.id, drag.port, target.id);
    else this.draw();
  }
}
