/* atlas preview: live reload (server-sent events), WeasyPrint's sheets, error overlay. */
"use strict";
const AtlasPreview = (() => {
  const $ = (id) => document.getElementById(id);
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;"}[c]));

  function status(text, cls) {
    const el = $("status");
    if (!el) return;
    el.textContent = text;
    el.className = "status" + (cls ? " " + cls : "");
  }

  function events(url, onChange, onProof) {
    let seen = null;
    const source = new EventSource(url);
    source.addEventListener("hello", (e) => {
      const gen = JSON.parse(e.data).generation;
      if (seen !== null && gen !== seen) onChange({generation: gen, changed: ["(server restarted)"]});
      seen = gen;
      status("live", "ok");
    });
    source.addEventListener("change", (e) => {
      const ev = JSON.parse(e.data);
      seen = ev.generation;
      window.__previewChangeAt = performance.now();
      onChange(ev);
    });
    source.addEventListener("proof", (e) => { if (onProof) onProof(JSON.parse(e.data)); });
    source.onerror = () => status("disconnected — retrying…", "bad");
    return source;
  }

  function index() {
    events("/events", () => location.reload());
  }

  function viewer(slug) {
    const body = document.body;
    const sheets = $("sheets");
    const pane = $("html-pane");
    let zoom = parseFloat(localStorage.getItem("atlas-preview-zoom") || "1") || 1;
    let busy = false, again = false, dismissed = null, last = null;

    const dpi = () => Math.round(96 * Math.min(2.5, Math.max(0.5, (window.devicePixelRatio || 1) * zoom)));

    function setZoom(z) {
      zoom = Math.min(3, Math.max(0.3, Math.round(z * 10) / 10));
      localStorage.setItem("atlas-preview-zoom", String(zoom));
      sheets.style.zoom = String(zoom);
      $("zoom-value").textContent = Math.round(zoom * 100) + " %";
    }
    setZoom(zoom);
    $("zoom-in").onclick = () => { setZoom(zoom + 0.1); refresh(); };
    $("zoom-out").onclick = () => { setZoom(zoom - 0.1); refresh(); };
    $("show-html").onchange = (e) => {
      pane.hidden = !e.target.checked;
      body.classList.toggle("with-html", e.target.checked);
      if (e.target.checked && last) pane.src = last.html + "?g=" + last.generation;
    };
    $("overlay-close").onclick = () => { $("preview-overlay").hidden = true; dismissed = last && last.generation; };

    function overlay(error, generation) {
      const box = $("preview-overlay");
      if (!error) { box.hidden = true; body.classList.remove("has-error"); return; }
      const where = error.where || "";
      const kind = /\.ya?ml\b/.test(where + error.message) ? "Layout error (layouts.yaml)"
        : /\.css\b/.test(where) ? "Stylesheet error"
        : /\.(html|j2)\b/.test(where) ? "Template error" : "Error";
      $("overlay-title").textContent = kind;
      $("overlay-where").textContent = where;
      $("overlay-message").textContent = error.message;
      $("overlay-hint").textContent = error.hint || "";
      body.classList.add("has-error");
      if (dismissed !== generation) box.hidden = false;
    }

    function warnings(list) {
      const box = $("warnings");
      if (!list.length) { box.hidden = true; box.innerHTML = ""; return; }
      box.innerHTML = "<strong>" + list.length + " WeasyPrint warning" + (list.length > 1 ? "s" : "") +
        "</strong><ul>" + list.map((w) => "<li>" + (w.where ? "<code>" + esc(w.where) + "</code> " : "") +
        esc(w.message) + "</li>").join("") + "</ul>";
      box.hidden = false;
    }

    function textLayer(p) {
      return p.texts.map(([x, y, w, h, fs, t]) =>
        `<span style="left:${x}px;top:${y}px;width:${w}px;height:${h}px;font-size:${fs}px;line-height:${h}px">${esc(t)}</span>`
      ).join("");
    }

    function sheetFor(i) {
      let wrap = sheets.children[i];
      if (!wrap) {
        wrap = document.createElement("div");
        wrap.className = "sheet-wrap";
        wrap.innerHTML = '<section class="sheet"><img class="page-img" alt=""><div class="text-layer"></div></section><div class="sheet-label"></div><div class="proof" hidden></div>';
        sheets.appendChild(wrap);
      }
      return wrap;
    }

    let recheck = null, failedGen = null;
    function paintFailed(gen) {  // a page image failed: the state may now carry the error
      if (recheck || failedGen === gen) return;
      failedGen = gen;
      recheck = setTimeout(() => { recheck = null; refresh(); }, 300);
    }

    function nearViewport(el) {
      const r = el.getBoundingClientRect();
      const h = window.innerHeight;
      return r.bottom > -h && r.top < 2 * h;
    }

    function showPages(st) {
      const pages = st.pages;
      const loads = [];
      const wraps = pages.map((p, i) => {
        const wrap = sheetFor(i);
        const sheet = wrap.querySelector(".sheet");
        sheet.dataset.page = p.n;
        wrap.dataset.key = p.key;
        if (p.findings !== null && p.findings !== undefined) proofMarks(wrap, p.findings);
        else if (!(p.key in proofSeen)) proofMarks(wrap, null);
        sheet.style.width = p.width + "px";
        sheet.style.height = p.height + "px";
        wrap.querySelector(".sheet-label").textContent = `page ${p.n} / ${p.of}`;
        return wrap;
      });
      while (sheets.children.length > pages.length) sheets.lastElementChild.remove();
      // pages near the viewport first (painted on demand by the server), the rest lazily
      pages.forEach((p, i) => {
        const sheet = wraps[i].querySelector(".sheet");
        const old = sheet.querySelector(".page-img");
        const layer = sheet.querySelector(".text-layer");
        if (old.dataset.src === p.src) return;
        const img = new Image();
        img.className = "page-img";
        img.alt = `page ${p.n}`;
        img.dataset.src = p.src;
        const html = textLayer(p);
        const swap = () => { old.replaceWith(img); layer.innerHTML = html; };
        if (nearViewport(sheet) || !old.getAttribute("src")) {
          if (!nearViewport(sheet)) img.loading = "lazy";
          img.src = p.src;
          if (nearViewport(sheet)) {
            loads.push(img.decode().then(swap, () => {
              if (!old.getAttribute("src")) swap();
              paintFailed(st.generation);
            }));
          } else {
            swap();
          }
        } else {
          img.loading = "lazy";
          img.src = p.src;
          swap();
        }
      });
      return Promise.all(loads);
    }

    // atlas check findings (reports/proof) of each sheet, by page content key
    let proofSeen = {};
    function proofMarks(wrap, list) {
      const box = wrap.querySelector(".proof");
      const sheet = wrap.querySelector(".sheet");
      let badge = sheet.querySelector(".proof-badge");
      if (!list || !list.length) {
        box.hidden = true; box.innerHTML = "";
        if (badge) badge.remove();
        wrap.classList.remove("has-findings");
        wrap.dataset.findings = list ? "0" : "";
        return;
      }
      if (!badge) {
        badge = document.createElement("span");
        badge.className = "proof-badge";
        sheet.appendChild(badge);
      }
      badge.textContent = "⚠ " + list.length;
      badge.title = list.map((f) => f.rule + ": " + f.message).join("\n");
      box.innerHTML = "<ul>" + list.map((f) => `<li data-rule="${esc(f.rule)}"><code>${esc(f.rule)}</code> ` +
        esc(f.message) + "</li>").join("") + "</ul>";
      box.hidden = false;
      wrap.classList.add("has-findings");
      wrap.dataset.findings = String(list.length);
    }

    async function loadProof() {
      let pr;
      try {
        const r = await fetch(`/api/proof/${encodeURIComponent(slug)}`, {cache: "no-store"});
        if (!r.ok) return;
        pr = await r.json();
      } catch (err) { return; }
      proofSeen = {};
      pr.keys.forEach((k) => { proofSeen[k] = true; });
      let total = 0;
      for (const wrap of sheets.children) {
        const key = wrap.dataset.key;
        if (!(key in proofSeen)) continue;  // a page the last proof did not see: kept as is
        const list = pr.findings[key] || [];
        total += list.length;
        proofMarks(wrap, list);
      }
      const el = $("proof-count");
      el.textContent = pr.error ? "check failed" : (total ? `⚠ ${total} check finding${total > 1 ? "s" : ""}` : "check ✓");
      el.title = pr.error || `atlas check (reports/proof), ${pr.seconds} s, generation ${pr.generation}`;
      el.className = "proof-count " + (pr.error || total ? "bad" : "ok");
      body.dataset.proofGeneration = String(pr.generation);
      document.dispatchEvent(new CustomEvent("atlas-preview-proofread", {detail: pr.generation}));
    }

    async function load() {
      const t0 = performance.now();
      let st;
      try {
        const r = await fetch(`/api/doc/${encodeURIComponent(slug)}?dpi=${dpi()}`, {cache: "no-store"});
        if (r.status === 404) { overlay({message: "no such document: " + slug, hint: "see the index"}, -1); return; }
        st = await r.json();
      } catch (err) {
        status("server unreachable", "bad");
        return;
      }
      last = st;
      $("doc-title").textContent = st.title;
      document.title = st.title + " — atlas preview";
      $("page-count").textContent = st.pages.length ? st.pages.length + " pages" : "";
      const t1 = performance.now();
      if (!(st.error && failedGen === st.generation)) await showPages(st);
      const t2 = performance.now();
      warnings(st.warnings);
      if (st.pages.some((p) => p.findings === null)) {  // the new pages are being proofread
        const el = $("proof-count");
        el.textContent = "checking…";
        el.className = "proof-count";
      }
      overlay(st.error, st.generation);
      if (!pane.hidden) pane.src = st.html + "?g=" + st.generation;
      body.dataset.generation = String(st.generation);
      body.dataset.renderedGeneration = String(st.rendered_generation);
      body.dataset.state = st.error ? "error" : "ok";
      const render = st.timings.total ? ` · WeasyPrint ${Math.round(st.timings.total * 1000)} ms` : "";
      status(`gen ${st.generation}${render} · shown in ${Math.round(t2 - t0)} ms`, st.error ? "bad" : "ok");
      window.__previewTimes = {fetch: t1 - t0, images: t2 - t1, since_change: window.__previewChangeAt ? t2 - window.__previewChangeAt : null};
      document.dispatchEvent(new CustomEvent("atlas-preview-refreshed", {detail: st.generation}));
    }

    async function refresh() {
      if (busy) { again = true; return; }
      busy = true;
      try {
        do { again = false; await load(); } while (again);
      } finally { busy = false; }
    }

    events(`/events?doc=${encodeURIComponent(slug)}`, refresh, (ev) => { if (ev.proof === slug) loadProof(); });
    refresh().then(loadProof);
  }

  return {index, viewer};
})();
