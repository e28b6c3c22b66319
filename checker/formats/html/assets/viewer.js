/* memhp-check report: the step-through viewer of a trace (docs/reports.md).
 *
 * Reads the page's data from <script type="application/json" id="memhp-data"> (JSON.parse) and
 * builds each viewer when its <details> opens: a sequence diagram (SVG: one lane per actor, one
 * row per step) beside a state panel (the machine, the notifier calls, the sysfs tree with what
 * changed, the link graph). ArrowRight / ArrowLeft step the last viewer used; Home / End jump.
 * Every value from the data reaches the page through textContent or setAttribute, never as
 * markup. Leaves out: anything that needs the network.
 */
"use strict";
(function () {
  var SVG = "http://www.w3.org/2000/svg";
  var DATA = JSON.parse(document.getElementById("memhp-data").textContent);
  var active = null;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function sv(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, String(attrs[k]));
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function table(head, rows, cls) {
    var t = el("table", cls || "grid"), tr = el("tr");
    head.forEach(function (h) { tr.appendChild(el("th", null, h)); });
    t.appendChild(tr);
    rows.forEach(function (r) {
      var row = el("tr");
      r.forEach(function (c) {
        var td = (c && typeof c === "object") ? c : el("td", null, c);
        row.appendChild(td);
      });
      t.appendChild(row);
    });
    return t;
  }
  function yn(b) { return b ? "yes" : "no"; }

  /* --- the sequence diagram ------------------------------------------------------------ */
  var LANE = 104, GUT = 34, HEAD = 40, LINE = 20;

  /* the lane titles (a header that stays in view) and the rows, as two SVGs of one width */
  function diagram(v, trace) {
    var lanes = trace.lanes, steps = trace.steps;
    var width = GUT + lanes.length * LANE + 10;
    var x = function (i) { return GUT + i * LANE + LANE / 2; };
    var head = sv("svg", {"class": "seqsvg", width: width, height: HEAD, viewBox: "0 0 " + width + " " + HEAD});
    lanes.forEach(function (name, i) {
      head.appendChild(sv("rect", {x: x(i) - LANE / 2 + 4, y: 4, width: LANE - 8, height: HEAD - 10, "class": "lanehead"}));
      var cut = name.indexOf(" ("), main = cut > 0 ? name.slice(0, cut) : name, sub = cut > 0 ? name.slice(cut + 1) : "";
      var short = function (s) { return s.length > 17 ? s.slice(0, 16) + "\u2026" : s; };
      var t = sv("text", {x: x(i), y: sub ? 18 : 24, "class": "lanetext", "text-anchor": "middle"}, short(main));
      t.appendChild(sv("title", {}, name));
      head.appendChild(t);
      if (sub) head.appendChild(sv("text", {x: x(i), y: 30, "class": "lanesub", "text-anchor": "middle"}, short(sub)));
    });
    var svg = sv("svg", {"class": "seqsvg", width: width, role: "img"});
    svg.appendChild(sv("title", {}, "sequence diagram of the trace"));
    var defs = sv("defs", {});
    var mk = sv("marker", {id: "ah" + v.id, viewBox: "0 0 10 10", refX: 9, refY: 5,
                           markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse"});
    mk.appendChild(sv("path", {d: "M0,0 L10,5 L0,10 z", "class": "arrowhead"}));
    defs.appendChild(mk);
    svg.appendChild(defs);
    var lifelines = sv("g", {});
    svg.appendChild(lifelines);
    var y = 4, rows = [];
    steps.forEach(function (s, k) {
      var n = Math.max(1, s.msgs.length), h = n * LINE + 8;
      var g = sv("g", {"class": "row", "data-step": k});
      var bg = sv("rect", {x: 0, y: y, width: width, height: h, "class": "rowbg"});
      g.appendChild(bg);
      g.appendChild(sv("text", {x: 4, y: y + 15, "class": "stepno"}, k === 0 ? "boot" : k));
      if (!s.msgs.length) {
        g.appendChild(sv("text", {x: GUT + 4, y: y + 15, "class": "msg"}, k === 0 ? "the machine as booted" : s.action));
      }
      s.msgs.forEach(function (m, j) {
        var yy = y + j * LINE + 16, a = x(m[0]), b = x(m[1]);
        if (m[3] === "note" || a === b) {
          var w = Math.min(LANE * 2 - 10, 12 + 6.2 * String(m[2]).length);
          g.appendChild(sv("rect", {x: a - w / 2, y: yy - 12, width: w, height: 16, "class": "note"}));
          g.appendChild(sv("text", {x: a, y: yy, "class": "msg", "text-anchor": "middle"}, m[2]));
        } else {
          g.appendChild(sv("line", {x1: a, y1: yy, x2: b + (b > a ? -3 : 3), y2: yy,
                                    "class": m[3] === "ret" ? "arrow ret" : "arrow",
                                    "marker-end": "url(#ah" + v.id + ")"}));
          g.appendChild(sv("text", {x: (a + b) / 2, y: yy - 4, "class": "msg", "text-anchor": "middle"}, m[2]));
        }
      });
      g.addEventListener("click", function () { show(v, k); activate(v); });
      rows.push(bg);
      svg.appendChild(g);
      y += h;
    });
    lanes.forEach(function (name, i) {
      lifelines.appendChild(sv("line", {x1: x(i), y1: 0, x2: x(i), y2: y, "class": "lifeline"}));
    });
    svg.setAttribute("height", y + 8);
    svg.setAttribute("viewBox", "0 0 " + width + " " + (y + 8));
    v.rows = rows;
    var box = el("div", "seqbox"), top = el("div", "seqhead");
    top.appendChild(head);
    box.appendChild(top);
    box.appendChild(svg);
    return box;
  }

  /* --- the state panel ------------------------------------------------------------------- */
  function viewAt(trace, k) {
    var view = {}, i;
    for (i = 0; i <= k; i++) {
      var d = trace.steps[i].sysfs;
      if (!d) continue;
      for (var p in d) if (Object.prototype.hasOwnProperty.call(d, p)) {
        if (d[p] === null) delete view[p]; else view[p] = d[p];
      }
    }
    return view;
  }
  function graphAt(trace, k) {
    for (var i = k; i >= 0; i--) if (trace.steps[i].graph) return trace.steps[i].graph;
    return null;
  }

  function blocksTable(trace, st, prev) {
    var head = ["block", "node", "present", "directory", "state", "zone", "pages", "allocatable"];
    if (trace.online_type) head.push("online_type");
    var rows = st.blocks.map(function (b, i) {
      var p = prev ? prev.blocks[i] : null;
      var cells = [b.name, b.node, yn(b.present), yn(b.dir), b.state, b.zones, b.pages, yn(b.alloc)];
      var keys = ["name", "node", "present", "dir", "state", "zones", "pages", "alloc"];
      if (trace.online_type) { cells.push(b.online_type); keys.push("online_type"); }
      return cells.map(function (c, j) {
        var td = el("td", null, c);
        if (p && p[keys[j]] !== b[keys[j]]) td.className = "chg";
        if (keys[j] === "state") { td.classList.add("bstate"); td.setAttribute("data-block", b.name); }
        return td;
      });
    });
    return table(head, rows, "grid blocks");
  }

  function nodesTable(trace, st, prev) {
    var head = ["node", "online", "present pages"].concat(trace.flags).concat(["SLUB node structures"]);
    var rows = st.nodes.map(function (n, i) {
      var p = prev ? prev.nodes[i] : null;
      var cells = [[n.name, 0], [yn(n.online), p && p.online !== n.online],
                   [n.present, p && p.present !== n.present]];
      n.flags.forEach(function (f, j) { cells.push([f ? "set" : "clear", p && p.flags[j] !== f]); });
      cells.push([yn(n.slub), p && p.slub !== n.slub]);
      return cells.map(function (c) { var td = el("td", c[1] ? "chg" : null, c[0]); return td; });
    });
    return table(head, rows, "grid nodes");
  }

  function sysfsTree(trace, k) {
    var view = viewAt(trace, k), delta = k > 0 ? (trace.steps[k].sysfs || {}) : {};
    var paths = Object.keys(view), ul = el("ul", "sysfs");
    Object.keys(delta).forEach(function (p) { if (delta[p] === null) paths.push(p); });
    paths.sort();
    paths.forEach(function (p) {
      var li = el("li");
      var depth = p.replace(/\/$/, "").split("/").length - 1;
      li.classList.add("d" + Math.min(depth, 3));
      li.appendChild(el("span", "path", p));
      if (Object.prototype.hasOwnProperty.call(delta, p)) {
        li.classList.add(delta[p] === null ? "removed" : "chg");
      }
      li.appendChild(el("span", "val", delta[p] === null && !(p in view) ? "(removed)" : view[p]));
      ul.appendChild(li);
    });
    return ul;
  }

  function graphSvg(g) {
    var w = 430, svg = sv("svg", {"class": "graph", width: w, height: g.h + 8, viewBox: "0 0 " + w + " " + (g.h + 8), role: "img"});
    svg.appendChild(sv("title", {}, "link graph of the sysfs tree"));
    var at = {};
    g.boxes.forEach(function (b) { at[b.key] = b; });
    g.edges.forEach(function (e) {
      var a = at[e[0]], b = at[e[1]];
      if (!a || !b) return;
      svg.appendChild(sv("line", {x1: a.x + 170, y1: a.y + a.h / 2, x2: b.x, y2: b.y + b.h / 2, "class": "edge " + e[2]}));
      if (e[2] !== "both") svg.appendChild(sv("text", {x: (a.x + 170 + b.x) / 2, y: (a.y + b.y + (a.h + b.h) / 2) / 2 - 3, "class": "elabel", "text-anchor": "middle"},
                                               e[2] === "link" ? "no backlink" : "backlink only"));
    });
    g.boxes.forEach(function (b) {
      svg.appendChild(sv("rect", {x: b.x, y: b.y, width: 170, height: b.h, rx: b.kind === "node" ? 12 : 2,
                                  "class": "gbox " + b.kind + (b.bad ? " bad" : "")}));
      b.lines.forEach(function (line, i) {
        svg.appendChild(sv("text", {x: b.x + 8, y: b.y + 17 + 14 * i, "class": "gtext"}, line));
      });
    });
    return svg;
  }

  function panel(v, k) {
    var trace = v.trace, s = trace.steps[k], n = trace.steps.length - 1, p = el("div", "panelbody");
    var head = el("h4", "stephead", k === 0 ? "After boot" : "Step " + k + ": " + s.words);
    p.appendChild(head);
    if (trace.violation && k === n) {
      p.appendChild(el("p", "violates", "violates " + trace.violation.invariant + " [" + trace.violation.cause + "]: " + trace.violation.message));
    }
    if (k > 0) {
      var dl = el("dl", "facts");
      var add = function (dt, dd, cls) { dl.appendChild(el("dt", null, dt)); dl.appendChild(el("dd", cls, dd)); };
      add("point", s.point);
      if (s.fn) add("stopped in", s.fn, "fn");
      if (s.ret !== null) add("returned", s.ret);
      if (s.read !== null) add("read", s.read);
      if (s.changes.length) add("changed", s.changes.join("; "));
      p.appendChild(dl);
    }
    if (s.calls.length) {
      var normal = s.calls.some(function (c) { return c.nid_normal !== null; });
      var headc = ["event", "callback", "start_pfn", "nr_pages", "status_change_nid"];
      if (normal) headc.push("status_change_nid_normal");
      headc = headc.concat(["answer", "pages allocatable"]);
      p.appendChild(el("h5", null, "Notifier calls (struct memory_notify)"));
      p.appendChild(table(headc, s.calls.map(function (c) {
        var r = [c.event, c.callback, c.start_pfn, c.nr_pages, c.nid];
        if (normal) r.push(c.nid_normal === null ? "-" : c.nid_normal);
        return r.concat([c.ret, yn(c.alloc)]);
      }), "grid calls"));
    }
    if (!s.state) {
      var why = trace.replay.why || "the trace does not replay through the spec";
      p.appendChild(el("p", "unavailable", "State panel unavailable" + (trace.replay.upto >= 0 ? " from step " + (trace.replay.upto + 1) : "") + ": " + why));
      return p;
    }
    var prev = k > 0 && trace.steps[k - 1].state ? trace.steps[k - 1].state : null;
    p.appendChild(el("h5", null, "Memory blocks"));
    p.appendChild(blocksTable(trace, s.state, prev));
    p.appendChild(el("h5", null, "Nodes"));
    p.appendChild(nodesTable(trace, s.state, prev));
    var th = s.state.threads.map(function (t) { return [t[0], t[1]]; });
    p.appendChild(el("h5", null, "Threads and locks"));
    p.appendChild(table(["thread", "operation in flight"], th, "grid threads"));
    p.appendChild(el("p", "locks", s.state.locks.length ? "held: " + s.state.locks.map(function (l) { return l[0] + " (" + l[1] + ")"; }).join(", ") : "no lock held"));
    p.appendChild(el("h5", null, "sysfs (/sys/devices/system)" + (k > 0 ? ": changes of this step highlighted" : "")));
    p.appendChild(sysfsTree(trace, k));
    var g = graphAt(trace, k);
    if (g) {
      p.appendChild(el("h5", null, "Link graph"));
      p.appendChild(graphSvg(g));
    }
    return p;
  }

  /* --- viewer ------------------------------------------------------------------------------ */
  function show(v, k) {
    var n = v.trace.steps.length - 1;
    k = Math.max(0, Math.min(n, k));
    v.k = k;
    v.pos.textContent = (k === 0 ? "boot" : "step " + k) + " of " + n;
    v.root.setAttribute("data-step", k);
    v.rows.forEach(function (r, i) { r.setAttribute("class", "rowbg" + (i === k ? " sel" : "") + (v.trace.violation && i === n ? " viol" : "")); });
    v.panel.replaceChildren(panel(v, k));
    var r = v.rows[k], box = v.seq;
    if (r && box) {
      var y = Number(r.getAttribute("y")) + HEAD, h = Number(r.getAttribute("height"));
      if (y - HEAD < box.scrollTop || y + h > box.scrollTop + box.clientHeight) box.scrollTop = Math.max(0, y - HEAD - 40);
    }
  }
  function activate(v) {
    if (active && active !== v) active.root.classList.remove("active");
    active = v;
    v.root.classList.add("active");
  }

  var count = 0;
  function build(root) {
    if (root.getAttribute("data-built")) return null;
    root.setAttribute("data-built", "1");
    var trace = DATA.traces[Number(root.getAttribute("data-trace"))];
    var v = {id: count++, trace: trace, root: root, k: 0};
    var bar = el("div", "controls");
    var mkb = function (label, title, f) { var b = el("button", null, label); b.type = "button"; b.title = title; b.addEventListener("click", function () { f(); activate(v); }); bar.appendChild(b); return b; };
    mkb("\u00ab boot", "to boot (Home)", function () { show(v, 0); });
    v.prevb = mkb("\u25c0 back", "one step back (ArrowLeft)", function () { show(v, v.k - 1); });
    v.pos = el("span", "pos");
    bar.appendChild(v.pos);
    v.nextb = mkb("forward \u25b6", "one step forward (ArrowRight)", function () { show(v, v.k + 1); });
    mkb("last \u00bb", "to the last step (End)", function () { show(v, trace.steps.length - 1); });
    bar.appendChild(el("span", "hint", "keys: \u2190 \u2192 Home End"));
    root.appendChild(bar);
    if (trace.replay.why) root.appendChild(el("p", "unavailable", "States shown up to step " + Math.max(trace.replay.upto, 0) + " only: " + trace.replay.why));
    var body = el("div", "vbody");
    v.seq = el("div", "seq");
    v.seq.appendChild(diagram(v, trace));
    v.panel = el("div", "panel");
    body.appendChild(v.seq);
    body.appendChild(v.panel);
    root.appendChild(body);
    root.addEventListener("focusin", function () { activate(v); });
    root.addEventListener("click", function () { activate(v); });
    show(v, 0);
    activate(v);
    return v;
  }

  document.addEventListener("keydown", function (e) {
    if (!active || e.altKey || e.ctrlKey || e.metaKey) return;
    if (!active.root.offsetParent) return;  /* its trace was folded away */
    var t = e.target && e.target.tagName;
    if (t === "INPUT" || t === "TEXTAREA" || t === "SELECT") return;
    var k = {ArrowRight: 1, ArrowLeft: -1}[e.key];
    if (k) { show(active, active.k + k); e.preventDefault(); }
    else if (e.key === "Home") { show(active, 0); e.preventDefault(); }
    else if (e.key === "End") { show(active, active.trace.steps.length - 1); e.preventDefault(); }
  });

  /* a link to a trace ("same trace as") opens its viewer */
  document.addEventListener("click", function (e) {
    var a = e.target && e.target.closest ? e.target.closest("a[href^='#']") : null;
    if (!a) return;
    var d = document.getElementById(a.getAttribute("href").slice(1));
    if (d && d.tagName === "DETAILS") d.open = true;
  });

  Array.prototype.forEach.call(document.querySelectorAll("details.trace"), function (d) {
    var root = d.querySelector(".viewer");
    if (!root) return;
    d.addEventListener("toggle", function () { if (d.open) build(root); });
    if (d.open) build(root);
  });
})();
