/* The situation guide in the page: the same evaluation as situation/rules.py (a test compares the two on
   generated answers), so the material list follows each answer at once, also on a kiosk with a slow link.
   Markup: a container [data-situation] holding the questions (fieldset[data-question], radios named q-<id>)
   and a JSON script whose id is the container's data-situation; the result goes into [data-situation-result]. */
(function () {
  "use strict";

  // names[code] when the server sent one (as Python's dict.get(code, code)), never an Object.prototype member.
  function own(names, code) {
    return Object.prototype.hasOwnProperty.call(names, code) ? names[code] : code;
  }

  function holds(when, answers) {
    return Object.keys(when).every(function (q) {
      return Object.prototype.hasOwnProperty.call(answers, q) && when[q].indexOf(answers[q]) !== -1;
    });
  }

  function answered(definition, answers) {
    var asked = [], counted = Object.create(null), complete = true;
    definition.questions.forEach(function (q) {
      if (!holds(q.when, counted)) return;
      asked.push(q.id);
      var value = answers[q.id];
      if (q.options.some(function (o) { return o.id === value; })) counted[q.id] = value;
      else complete = false;
    });
    return { asked: asked, counted: counted, complete: complete };
  }

  function selectedMatters(definition, scope, answers) {
    var conditional = Object.create(null); // codes like "constructor" are only codes here
    definition.matters.forEach(function (rule) {
      conditional[rule.matter] = conditional[rule.matter] === true || holds(rule.when, answers);
    });
    return scope.filter(function (code) {
      return !(code in conditional) || conditional[code];
    });
  }

  // catalogue.queries.merged_materials, on the requirements the page was given.
  function merged(data, codes) {
    var lines = [], byCode = Object.create(null);
    codes.forEach(function (code) {
      var matter = data.matters[code];
      matter.lines.forEach(function (req) {
        var line = byCode[req.material];
        if (!line) {
          line = byCode[req.material] = {
            material: req.material, name: req.name, originals: 0, copies: 0, required: false, core: false,
            deferrable: true, pledgeable: true, notes: [], matters: [], matter_names: []
          };
          lines.push(line);
        }
        line.originals = Math.max(line.originals, req.originals);
        line.copies = Math.max(line.copies, req.copies);
        line.core = line.core || req.core;
        if (req.required) {
          line.required = true;
          line.deferrable = line.deferrable && req.deferrable;
          line.pledgeable = line.pledgeable && req.pledgeable;
        }
        if (req.notes && line.notes.indexOf(req.notes) === -1) line.notes.push(req.notes);
        if (line.matters.indexOf(code) === -1) { line.matters.push(code); line.matter_names.push(matter.name); }
      });
    });
    lines.forEach(function (line) { if (!line.required) { line.deferrable = false; line.pledgeable = false; } });
    return lines;
  }

  function tailor(definition, lines, matters, answers, names) {
    definition.materials.forEach(function (rule) {
      if (!holds(rule.when, answers) || (rule.matter && matters.indexOf(rule.matter) === -1)) return;
      var at = -1;
      for (var i = 0; i < lines.length; i++) if (lines[i].material === rule.material) { at = i; break; }
      if (rule.omit) {
        if (at !== -1 && !lines[at].required) lines.splice(at, 1); // never waive what a matter requires
        return;
      }
      var line;
      if (at === -1) {
        line = {
          material: rule.material, name: own(names.materials, rule.material), originals: 0, copies: 0,
          required: false, core: false, deferrable: false, pledgeable: false, notes: [], matters: [], matter_names: []
        };
        if (rule.matter) { line.matters.push(rule.matter); line.matter_names.push(own(names.matters, rule.matter)); }
        lines.push(line);
      } else {
        line = lines[at];
      }
      line.required = true;
      line.originals = Math.max(line.originals, rule.originals || 0);
      line.copies = Math.max(line.copies, rule.copies || 0);
      if (line.originals === 0 && line.copies === 0) line.copies = 1;
      if (rule.note && line.notes.indexOf(rule.note) === -1) line.notes.push(rule.note);
    });
    var notices = definition.notices.filter(function (n) { return holds(n.when, answers); }).map(function (n) { return n.text; });
    return { lines: lines, notices: notices };
  }

  function evaluate(data, answers) {
    var a = answered(data.definition, answers || {});
    var matters = selectedMatters(data.definition, data.scope, a.counted);
    var t = tailor(data.definition, matters.length ? merged(data, matters) : [], matters, a.counted, data.names);
    return {
      asked: a.asked,
      complete: a.complete,
      matters: matters,
      materials: t.lines.map(function (l) {
        return {
          material: l.material, originals: l.originals, copies: l.copies, required: l.required, core: l.core,
          deferrable: l.deferrable, pledgeable: l.pledgeable, notes: l.notes.slice(), matters: l.matters.slice(),
          name: l.name, matter_names: l.matter_names.slice()
        };
      }),
      notices: t.notices
    };
  }

  // --- the page -----------------------------------------------------------------------------------------------

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }

  function render(root, data, outcome) {
    var target = root.querySelector("[data-situation-result]");
    if (!target) return;
    var t = JSON.parse(target.getAttribute("data-texts"));
    target.textContent = "";
    var missing = outcome.asked.length - Object.keys(readAnswers(root, data)).filter(function (q) {
      return outcome.asked.indexOf(q) !== -1;
    }).length;
    var status = el("p", outcome.complete ? t.complete : t.incomplete.replace("%n", String(missing)),
                    "situation-status " + (outcome.complete ? "ok" : "pending"));
    status.setAttribute("data-complete", outcome.complete ? "1" : "0");
    target.appendChild(status);
    target.appendChild(el("h3", t.matters.replace("%n", String(outcome.matters.length))));
    var ol = el("ol", null, "situation-matters");
    outcome.matters.forEach(function (code) {
      var li = el("li", data.matters[code].name);
      li.setAttribute("data-matter", code);
      ol.appendChild(li);
    });
    target.appendChild(ol);
    target.appendChild(el("h3", t.materials.replace("%n", String(outcome.materials.length))));
    var table = el("table", null, "situation-materials stack");
    var head = el("tr");
    [t.name, t.originals, t.copies, t.need, t.notes].forEach(function (h) { var th = el("th", h); th.scope = "col"; head.appendChild(th); });
    var thead = el("thead"); thead.appendChild(head); table.appendChild(thead);
    var tbody = el("tbody");
    outcome.materials.forEach(function (m) {
      var tr = el("tr");
      tr.setAttribute("data-material", m.material);
      var name = el("th", m.name); name.scope = "row"; name.setAttribute("data-label", t.name); tr.appendChild(name);
      [[t.originals, String(m.originals)], [t.copies, String(m.copies)],
       [t.need, m.required ? (m.core ? t.core : t.required) : t.optional],
       [t.notes, m.notes.join("；")]].forEach(function (cell, i) {
        var td = el("td", cell[1], i < 2 ? "num" : "");
        td.setAttribute("data-label", cell[0]);
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    target.appendChild(table);
    if (outcome.notices.length) {
      target.appendChild(el("h3", t.notices));
      var ul = el("ul", null, "situation-notices");
      outcome.notices.forEach(function (n) { ul.appendChild(el("li", n)); });
      target.appendChild(ul);
    }
  }

  function readAnswers(root, data) {
    var answers = {};
    data.definition.questions.forEach(function (q) {
      var checked = root.querySelector('input[name="q-' + q.id + '"]:checked');
      if (checked) answers[q.id] = checked.value;
    });
    return answers;
  }

  function update(root, data) {
    var outcome = evaluate(data, readAnswers(root, data));
    root.querySelectorAll("fieldset[data-question]").forEach(function (fs) {
      var asked = outcome.asked.indexOf(fs.getAttribute("data-question")) !== -1;
      fs.hidden = !asked;
      fs.querySelectorAll("input").forEach(function (input) { input.disabled = !asked; });
    });
    render(root, data, outcome);
    root.dispatchEvent(new CustomEvent("situation:change", { detail: outcome, bubbles: true }));
  }

  function start(root) {
    var data = JSON.parse(document.getElementById(root.getAttribute("data-situation")).textContent);
    root.addEventListener("change", function (event) {
      if (event.target.name && event.target.name.indexOf("q-") === 0) update(root, data);
    });
    var fallback = root.querySelector("[data-situation-submit]");
    if (fallback) fallback.hidden = true; // the list follows each answer; the button is for pages without script
    update(root, data);
  }

  window.yichuangSituation = { evaluate: evaluate };
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-situation]").forEach(start);
  });
})();
