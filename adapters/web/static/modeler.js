/* The web modeler page (templates/designer_modeler.html, routes_modeler.py).

   bpmn-js draws and edits the diagram in the browser; everything about Sunshine's own content
   is done by the server: the side form for the selected element is rendered there, and what the
   designer writes into it is written into the XML there (the page imports the returned XML).
   Lint's findings come back after every change and are put on the diagram as markers; the
   public flowchart of the drawing sits below. A save or a deploy sends the XML with what it was
   opened from and the sunshine: keys the side form changed, so the server can refuse a file
   that lost anything else. */
(function () {
  "use strict";
  var root = document.getElementById("modeler");
  if (!root) return;
  var csrf = root.dataset.csrf, code = root.dataset.code, version = root.dataset.version;
  var file = root.dataset.file || "process.bpmn";
  var side = document.getElementById("modeler-side");
  var checkBox = document.getElementById("modeler-check");
  var status = document.getElementById("modeler-status");
  var messages = document.getElementById("messages");
  var baseXml = document.getElementById("modeler-base").value;
  var currentXml = document.getElementById("modeler-source").value;
  var edited = [];      // the sunshine: keys the side form changed (a save may change them)
  var selected = "";    // the selected element's id ("" = the process)
  var quiet = false;    // selection changes made by this script load no form
  var formSeq = 0, checkSeq = 0;
  var modeler = null;

  function params(extra) {
    var fd = new FormData();
    fd.append("csrf_token", csrf);
    fd.append("xml", currentXml);
    fd.append("file", file);
    fd.append("edited", JSON.stringify(edited));
    if (code) fd.append("code", code);
    if (version) fd.append("version", version);
    if (baseXml) fd.append("base_xml", baseXml);
    Object.keys(extra || {}).forEach(function (k) { fd.append(k, extra[k]); });
    return fd;
  }

  function post(url, fd) {
    // HX-Request: a refusal comes back as the message fragment (errors.py), not a whole page
    return fetch(url, { method: "POST", body: fd, credentials: "same-origin",
                        headers: { "HX-Request": "true", "X-CSRF-Token": csrf } });
  }

  async function showRefusal(resp) {
    messages.innerHTML = await resp.text();
    messages.scrollIntoView({ block: "nearest" });
    status.textContent = "";
  }

  function say(text) { status.textContent = text; }

  function debounce(fn, ms) {
    var timer = null;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }

  async function refreshXml() {
    var out = await modeler.saveXML({ format: true });
    currentXml = out.xml;
  }

  async function importXml(xml, fit) {
    var canvas = modeler.get("canvas");
    var box = fit ? null : canvas.viewbox();
    var result;
    quiet = true;  // importing clears the selection: that is not the designer choosing
    try { result = await modeler.importXML(xml); } finally { quiet = false; }
    if (fit) { canvas.zoom("fit-viewport", "auto"); } else { canvas.viewbox(box); }
    if (result.warnings && result.warnings.length) {
      say("导入时有 " + result.warnings.length + " 条提示：" + result.warnings[0].message);
    }
    await refreshXml();  // from now on, the XML as bpmn-js writes it
  }

  function select(id) {
    var el = id ? modeler.get("elementRegistry").get(id) : null;
    quiet = true;
    try {
      if (el) { modeler.get("selection").select(el); } else { modeler.get("selection").select(null); }
    } finally { quiet = false; }
  }

  async function loadForm() {
    var seq = ++formSeq;
    var resp = await post("/designer/modeler/form", params({ element: selected }));
    if (seq !== formSeq) return;
    if (!resp.ok) { await showRefusal(resp); return; }
    side.innerHTML = await resp.text();
    window.htmx.process(side);
  }

  async function check() {
    var seq = ++checkSeq;
    var resp = await post("/designer/modeler/check", params({}));
    if (seq !== checkSeq) return;
    if (!resp.ok) { await showRefusal(resp); return; }
    checkBox.innerHTML = await resp.text();
    showMarkers();
    root.dataset.checked = String(seq);
  }

  var marked = [];
  function showMarkers() {
    var overlays = modeler.get("overlays"), canvas = modeler.get("canvas");
    var registry = modeler.get("elementRegistry");
    overlays.remove({ type: "lint" });
    marked.forEach(function (m) { canvas.removeMarker(m[0], m[1]); });
    marked = [];
    var data = document.getElementById("check-markers");
    var findings = data ? JSON.parse(data.textContent) : [];
    var byElement = {};
    findings.forEach(function (f) { (byElement[f.element] = byElement[f.element] || []).push(f); });
    Object.keys(byElement).forEach(function (id) {
      if (!registry.get(id)) return;
      var list = byElement[id];
      var worst = list.some(function (f) { return f.severity === "error"; }) ? "error" : "warning";
      var mark = document.createElement("div");
      mark.className = "lint-marker lint-marker-" + worst;
      mark.setAttribute("role", "img");
      var badge = document.createElement("span");
      badge.className = "lint-badge";
      badge.textContent = worst === "error" ? "!" : "?";
      mark.appendChild(badge);
      var pop = document.createElement("div");
      pop.className = "lint-pop";
      list.forEach(function (f) {
        var p = document.createElement("p");
        var rule = document.createElement("b");
        rule.textContent = "[" + f.rule + "] ";
        p.appendChild(rule);
        p.appendChild(document.createTextNode(f.message));
        if (f.fix) {
          var fix = document.createElement("span");
          fix.className = "lint-fix";
          fix.textContent = " 改法：" + f.fix;
          p.appendChild(fix);
        }
        pop.appendChild(p);
      });
      mark.appendChild(pop);
      mark.setAttribute("aria-label", list.map(function (f) { return f.rule; }).join(", "));
      overlays.add(id, "lint", { position: { top: -12, right: 12 }, html: mark });
      canvas.addMarker(id, "lint-" + worst);
      marked.push([id, "lint-" + worst]);
    });
  }

  // the side form: validation as the designer types goes through htmx with the current drawing
  document.body.addEventListener("htmx:configRequest", function (e) {
    if (e.detail.elt && e.detail.elt.id === "side-form") { e.detail.parameters.xml = currentXml; }
  });

  side.addEventListener("submit", async function (e) {
    if (!e.target || e.target.id !== "side-form") return;
    e.preventDefault();
    await refreshXml();
    var fd = params({});
    new FormData(e.target).forEach(function (value, key) { fd.append(key, value); });
    var resp = await post("/designer/modeler/apply", fd);
    if (!resp.ok) { await showRefusal(resp); return; }
    ++formSeq;  // a form still loading would replace this answer
    side.innerHTML = await resp.text();
    var out = document.getElementById("side-xml");
    JSON.parse(document.getElementById("side-changed").textContent).forEach(function (k) {
      if (edited.indexOf(k) < 0) edited.push(k);
    });
    await importXml(out.value, false);
    out.remove();
    select(selected);
    window.htmx.process(side);
    say("已写入，尚未保存");
    check();
  });

  checkBox.addEventListener("click", function (e) {
    var link = e.target.closest ? e.target.closest(".select-element") : null;
    if (!link) return;
    e.preventDefault();
    var el = modeler.get("elementRegistry").get(link.dataset.element);
    if (!el) return;
    modeler.get("selection").select(el);
    modeler.get("canvas").scrollToElement(el);
    root.scrollIntoView({ block: "start" });
  });

  document.getElementById("modeler-save").addEventListener("click", async function () {
    await refreshXml();
    var resp = await post("/designer/modeler/save", params({}));
    if (!resp.ok) { await showRefusal(resp); return; }
    var blob = await resp.blob();
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = file;
    document.body.appendChild(a);
    a.click();
    a.remove();
    messages.innerHTML = "";
    say("已保存为 " + file);
  });

  document.getElementById("modeler-deploy").addEventListener("click", async function () {
    await refreshXml();
    say("正在部署……");
    var resp = await post("/designer/modeler/deploy", params({}));
    if (!resp.ok) { await showRefusal(resp); return; }
    window.location.assign(resp.headers.get("X-Sunshine-Location"));
  });

  async function start() {
    var descriptor = await (await fetch("/static/modeler-sunshine.json")).json();
    modeler = new window.BpmnJS({
      container: "#modeler-canvas",
      additionalModules: [window.SunshineModelerTranslate],
      moddleExtensions: { sunshine: descriptor }
    });
    window.sunshineModeler = modeler;  // for the browser tests
    try {
      await importXml(currentXml, true);
    } catch (err) {
      messages.textContent = /no diagram to display/.test(err.message)
        ? "此文件没有图形信息（bpmndi:BPMNDiagram），建模器无法显示：请在 Camunda Modeler 等工具中打开并保存一次，再在此打开"
        : "无法在建模器中打开此文件：" + err.message;
      messages.className = "msg msg-error";
      return;
    }
    modeler.on("selection.changed", function (e) {
      if (quiet) return;
      var el = e.newSelection[0];
      selected = el ? (el.businessObject && el.businessObject.id) || el.id : "";
      loadForm();
    });
    modeler.on("commandStack.changed", debounce(async function () {
      await refreshXml();
      say("有未保存的修改");
      check();
    }, 600));
    root.dataset.ready = "true";
    loadForm();
    check();
  }

  start();
})();
