// 我要咨询: the optional matters of the question, picked by typing (the guide's search, /consult/matters/).
// Without this script the form shows a plain multiple select, which still works. The select stays the form's
// value: choosing a matter selects its option; the chosen ones are listed with a remove button each.
// Keyboard: type, Down/Up to move through the hits, Enter to choose, Escape to close.
(function () {
  "use strict";
  var select = document.querySelector("select[data-matter-picker]");
  if (!select || !window.fetch) { return; }
  var url = select.getAttribute("data-search-url");
  var field = select.closest(".field");
  var wrap = document.createElement("div");
  wrap.className = "zx-picker";
  var input = document.createElement("input");
  input.type = "search";
  input.id = select.id + "_search";
  input.autocomplete = "off";
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", select.id + "_hits");
  input.placeholder = "输入事项名称，如：营业执照";
  var list = document.createElement("ul");
  list.id = select.id + "_hits";
  list.setAttribute("role", "listbox");
  list.hidden = true;
  var chosen = document.createElement("ul");
  chosen.className = "zx-chosen";
  chosen.setAttribute("aria-live", "polite");
  wrap.appendChild(input);
  wrap.appendChild(list);
  wrap.appendChild(chosen);
  select.hidden = true;
  select.parentNode.insertBefore(wrap, select.nextSibling);
  var label = field && field.querySelector("label[for='" + select.id + "']");
  if (label) { label.setAttribute("for", input.id); }

  var hits = [], active = -1, timer = null, seq = 0;

  function option(id) { return select.querySelector("option[value='" + String(id).replace(/[^0-9]/g, "") + "']"); }

  function drawChosen() {
    chosen.innerHTML = "";
    Array.prototype.forEach.call(select.selectedOptions, function (opt) {
      var li = document.createElement("li");
      li.appendChild(document.createTextNode(opt.textContent + " "));
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "zx-remove";
      remove.textContent = "×";
      remove.setAttribute("aria-label", "移除 " + opt.textContent);
      remove.addEventListener("click", function () { opt.selected = false; drawChosen(); input.focus(); });
      li.appendChild(remove);
      chosen.appendChild(li);
    });
  }

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function mark(i) {
    active = i;
    Array.prototype.forEach.call(list.children, function (li, n) { li.setAttribute("aria-selected", n === i ? "true" : "false"); });
    if (i >= 0 && list.children[i]) {
      input.setAttribute("aria-activedescendant", list.children[i].id);
      list.children[i].scrollIntoView({ block: "nearest" });
    }
  }

  function choose(i) {
    var hit = hits[i], opt = hit && option(hit.id);
    if (opt) { opt.selected = true; }
    input.value = "";
    close();
    drawChosen();
  }

  function draw() {
    list.innerHTML = "";
    hits.forEach(function (hit, i) {
      var li = document.createElement("li");
      li.id = select.id + "_hit_" + i;
      li.setAttribute("role", "option");
      li.textContent = hit.name + "（" + hit.department + "）";
      li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(i); });
      list.appendChild(li);
    });
    if (!hits.length && input.value.trim()) {
      var none = document.createElement("li");
      none.className = "muted";
      none.textContent = "没有找到相关事项，可不选。";
      list.appendChild(none);
    }
    list.hidden = !list.children.length;
    input.setAttribute("aria-expanded", list.hidden ? "false" : "true");
    mark(hits.length ? 0 : -1);
  }

  function load() {
    var text = input.value.trim();
    if (!text) { hits = []; close(); return; }
    var mine = ++seq;
    fetch(url + "?q=" + encodeURIComponent(text), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data === null || mine !== seq) { return; }
        hits = data.matters.filter(function (m) { return option(m.id); });
        draw();
      })
      .catch(function () { /* the question goes without matters */ });
  }

  input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(load, 250); });
  input.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown" && hits.length) { e.preventDefault(); if (list.hidden) { draw(); } else { mark((active + 1) % hits.length); } }
    else if (e.key === "ArrowUp" && hits.length) { e.preventDefault(); mark((active - 1 + hits.length) % hits.length); }
    else if (e.key === "Enter" && !list.hidden && active >= 0) { e.preventDefault(); choose(active); }
    else if (e.key === "Escape" && !list.hidden) { e.preventDefault(); close(); }
  });
  input.addEventListener("blur", function () { setTimeout(close, 150); });
  drawChosen();
})();
