"""The situation guide's rules (情形引导): their format, their check, and their evaluation.

A guide's version is a short YAML document, kept as data and edited by hall admins:

    questions:            # asked in this order; a question with `when` only if that holds
      - id: seal
        text: 是否需要刻制公章？
        options:
          - {id: need, text: 需要}
          - {id: skip, text: 暂不需要}
    matters:              # matters of the guide's scope that apply only in some situations
      - {matter: 411624-QT-GA-001, when: {seal: [need]}}
    materials:            # a material required (with its counts) or left out in some situations
      - {material: lease-contract, when: {premises: [rented]}, copies: 1, note: 租赁期限一年以上}
      - {material: employee-roster, omit: true, when: {staff: ["none"]}}
    notices:              # lines of the one-time notice that apply in some situations
      - {text: 银行开户须法定代表人本人到场或视频核实意愿。, when: {bank: [open]}}

A condition (`when`) is a conjunction: every question named has one of the options listed; a question not asked
never satisfies it. That is all the logic there is — no library is needed, and the same dozen lines evaluate it
in Python (here, for intake and the printed list) and in the page (`static/situation/guide.js`, for the live
list); a test compares the two on generated answers.

The catalogue stays the law: a rule may make an optional material required, raise its counts, add a material no
matter lists, or leave out an optional one — it never waives what a matter requires (`tailor` ignores an `omit`
of a required line, in both evaluators).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import yaml
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
MAX_QUESTIONS = 40
MAX_COUNT = 99


@dataclass
class Outcome:
    """What a guide's answers result in: the questions asked, the matters, the tailored material list, notices."""

    asked: list[str]
    complete: bool
    matters: list[str]
    materials: list  # catalogue.queries.NoticeLine, tailored
    notices: list[str]
    answers: dict[str, str] = field(default_factory=dict)  # the answers that count (asked questions only)

    def as_dict(self) -> dict:
        """The form both evaluators produce (the page's guide.js returns exactly this)."""
        return {
            "asked": self.asked,
            "complete": self.complete,
            "matters": self.matters,
            "materials": [
                {
                    "material": line.material,
                    "originals": line.originals,
                    "copies": line.copies,
                    "required": line.required,
                    "core": line.core,
                    "deferrable": line.deferrable,
                    "pledgeable": line.pledgeable,
                    "notes": list(line.notes),
                    "matters": list(line.matters),
                }
                for line in self.materials
            ],
            "notices": self.notices,
        }


# --- reading and checking a version's source -----------------------------------------------------------------


class _Problems:
    def __init__(self):
        self.items: list[str] = []

    def add(self, where: str, text: str) -> None:
        self.items.append(f"{where}：{text}" if where else text)


def _text(value, where: str, problems: _Problems, *, limit: int = 300, required: bool = True) -> str:
    if value is None or value == "":
        if required:
            problems.add(where, _("不能为空。"))
        return ""
    if not isinstance(value, str):
        problems.add(where, _("应为文字。"))
        return ""
    value = value.strip()
    if len(value) > limit:
        problems.add(where, _("不能超过 %(n)d 个字。") % {"n": limit})
    return value


def _ident(value, where: str, problems: _Problems) -> str:
    if isinstance(value, bool):  # YAML 1.1 reads yes/no/on/off as booleans
        problems.add(where, _("编码 yes、no、on、off 会被读成是/否，请加引号或换一个编码（如 need、skip）。"))
        return ""
    if not isinstance(value, str) or not ID_RE.match(value):
        problems.add(where, _("编码应以小写字母开头，只含小写字母、数字和下划线，最长 32 位。"))
        return ""
    return value


def _count(value, where: str, problems: _Problems) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        problems.add(where, _("份数应为 0 到 %(n)d 的整数。") % {"n": MAX_COUNT})
        return None
    return value


def _when(value, where: str, problems: _Problems, options: dict[str, set[str]]) -> dict[str, list[str]]:
    """A condition over the questions in `options` (those asked before it, for a question's own condition)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.add(where, _("条件应写成“问题编码: [选项编码, …]”。"))
        return {}
    result = {}
    for qid, allowed in value.items():
        qid = qid if isinstance(qid, str) else str(qid)
        if qid not in options:
            problems.add(where, _("没有（或在此之前没有）编码为“%(id)s”的问题。") % {"id": qid})
            continue
        if isinstance(allowed, str | bool):
            allowed = [allowed]
        if not isinstance(allowed, list) or not allowed:
            problems.add(where, _("问题“%(id)s”的条件应列出至少一个选项。") % {"id": qid})
            continue
        ids = []
        for opt in allowed:
            opt = _ident(opt, f"{where} · {qid}", problems)
            if opt and opt not in options[qid]:
                problems.add(where, _("问题“%(q)s”没有选项“%(o)s”。") % {"q": qid, "o": opt})
            elif opt:
                ids.append(opt)
        result[qid] = ids
    return result


def parse(source: str, *, scope: list[str], materials: set[str]) -> dict:
    """Read and check a version's YAML source against the guide's scope (its matter codes) and the material
    dictionary. Returns the definition (plain JSON data); raises ValidationError listing every problem."""
    problems = _Problems()
    try:
        data = yaml.safe_load(source or "")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"{mark.line + 1}" if mark is not None else "?"
        raise ValidationError(_("YAML 格式有误（第 %(line)s 行）：%(problem)s") % {
            "line": line, "problem": getattr(exc, "problem", "") or str(exc)}) from None  # fmt: skip
    if not isinstance(data, dict):
        raise ValidationError(_("规则应包含 questions（问题），以及 matters、materials、notices 中需要的部分。"))
    unknown = set(data) - {"questions", "matters", "materials", "notices"}
    if unknown:
        problems.add("", _("不认识的部分：%(keys)s。") % {"keys": "、".join(sorted(map(str, unknown)))})
    questions, options = [], {}
    raw_questions = data.get("questions") or []
    if not isinstance(raw_questions, list) or not raw_questions:
        problems.add("questions", _("至少要有一个问题。"))
        raw_questions = []
    if len(raw_questions) > MAX_QUESTIONS:
        problems.add("questions", _("问题不能超过 %(n)d 个。") % {"n": MAX_QUESTIONS})
    for i, q in enumerate(raw_questions, 1):
        where = _("第 %(n)d 个问题") % {"n": i}
        if not isinstance(q, dict):
            problems.add(where, _("应包含 id、text、options。"))
            continue
        qid = _ident(q.get("id"), where, problems)
        if qid in options:
            problems.add(where, _("编码“%(id)s”重复。") % {"id": qid})
        text = _text(q.get("text"), where, problems, limit=200)
        help_text = _text(q.get("help"), where, problems, required=False)
        when = _when(q.get("when"), where, problems, options)
        opts, seen = [], set()
        raw_opts = q.get("options")
        if not isinstance(raw_opts, list) or len(raw_opts) < 2:
            problems.add(where, _("至少要有两个选项。"))
            raw_opts = []
        for j, o in enumerate(raw_opts, 1):
            owhere = f"{where} · " + _("第 %(n)d 个选项") % {"n": j}
            if not isinstance(o, dict):
                problems.add(owhere, _("应写成 {id: 编码, text: 文字}。"))
                continue
            oid = _ident(o.get("id"), owhere, problems)
            if oid in seen:
                problems.add(owhere, _("编码“%(id)s”重复。") % {"id": oid})
            seen.add(oid)
            opts.append({"id": oid, "text": _text(o.get("text"), owhere, problems, limit=100)})
        if qid and qid not in options:
            options[qid] = seen
        questions.append({"id": qid, "text": text, "help": help_text, "options": opts, "when": when})

    matter_rules = []
    for i, r in enumerate(data.get("matters") or [], 1):
        where = _("matters 第 %(n)d 条") % {"n": i}
        if not isinstance(r, dict):
            problems.add(where, _("应写成 {matter: 事项编码, when: 条件}。"))
            continue
        code = r.get("matter")
        if not isinstance(code, str) or code not in scope:
            problems.add(where, _("事项“%(code)s”不在本引导的范围内。") % {"code": code})
        when = _when(r.get("when"), where, problems, options)
        if not when:
            problems.add(where, _("请写明在什么情形下办理该事项（when）。"))
        matter_rules.append({"matter": code, "when": when})

    material_rules = []
    for i, r in enumerate(data.get("materials") or [], 1):
        where = _("materials 第 %(n)d 条") % {"n": i}
        if not isinstance(r, dict):
            problems.add(where, _("应写成 {material: 材料编码, when: 条件, …}。"))
            continue
        code = r.get("material")
        if not isinstance(code, str) or code not in materials:
            problems.add(where, _("材料字典中没有编码为“%(code)s”的材料。") % {"code": code})
        when = _when(r.get("when"), where, problems, options)
        omit = r.get("omit", False)
        if not isinstance(omit, bool):
            problems.add(where, _("omit 应为 true 或 false。"))
        matter = r.get("matter")
        if matter is not None and (not isinstance(matter, str) or matter not in scope):
            problems.add(where, _("事项“%(code)s”不在本引导的范围内。") % {"code": matter})
        originals = _count(r.get("originals"), where, problems)
        copies = _count(r.get("copies"), where, problems)
        if omit and (originals or copies):
            problems.add(where, _("免交的材料不写份数。"))
        note = _text(r.get("note"), where, problems, required=False, limit=200)
        material_rules.append({
            "material": code, "when": when, "omit": bool(omit), "matter": matter,
            "originals": originals, "copies": copies, "note": note,
        })  # fmt: skip

    notices = []
    for i, r in enumerate(data.get("notices") or [], 1):
        where = _("notices 第 %(n)d 条") % {"n": i}
        if not isinstance(r, dict):
            problems.add(where, _("应写成 {text: 告知内容, when: 条件}。"))
            continue
        notices.append(
            {"text": _text(r.get("text"), where, problems), "when": _when(r.get("when"), where, problems, options)}
        )
    if problems.items:
        raise ValidationError(problems.items)
    return {"questions": questions, "matters": matter_rules, "materials": material_rules, "notices": notices}


# --- evaluation ------------------------------------------------------------------------------------------------


def holds(when: dict, answers: dict) -> bool:
    return all(answers.get(qid) in allowed for qid, allowed in when.items())


def answered(definition: dict, answers: dict) -> tuple[list[str], dict[str, str], bool]:
    """The questions asked for these answers (in order), the answers that count, and whether every question asked
    has a valid answer. An answer to a question not asked, or naming no option, does not count."""
    asked, counted, complete = [], {}, True
    for q in definition["questions"]:
        if not holds(q["when"], counted):
            continue
        asked.append(q["id"])
        value = answers.get(q["id"])
        if value in {o["id"] for o in q["options"]}:
            counted[q["id"]] = value
        else:
            complete = False
    return asked, counted, complete


def selected_matters(definition: dict, scope: list[str], answers: dict) -> list[str]:
    conditional: dict[str, bool] = {}
    for rule in definition["matters"]:
        conditional[rule["matter"]] = conditional.get(rule["matter"], False) or holds(rule["when"], answers)
    return [code for code in scope if conditional.get(code, True)]


def tailor(
    definition: dict, lines: list, matters: list[str], answers: dict, names: dict[str, dict[str, str]]
) -> tuple[list, list[str]]:
    """The merged material list of the selected matters (catalogue.queries.NoticeLine, not changed in place)
    tailored by the material rules that hold; and the notices that hold. `names`: {"materials": {code: name},
    "matters": {code: name}} for lines a rule adds."""
    from yichuang.catalogue.queries import NoticeLine

    result = [replace(line, notes=list(line.notes), matters=list(line.matters),
                      matter_names=list(line.matter_names)) for line in lines]  # fmt: skip
    for rule in definition["materials"]:
        if not holds(rule["when"], answers) or (rule["matter"] and rule["matter"] not in matters):
            continue
        at = next((i for i, line in enumerate(result) if line.material == rule["material"]), None)
        if rule["omit"]:
            if at is not None and not result[at].required:  # never waive what a matter requires
                del result[at]
            continue
        if at is None:
            name = names["materials"].get(rule["material"], rule["material"])
            line = NoticeLine(material=rule["material"], name=name, deferrable=False, pledgeable=False)
            if rule["matter"]:
                line.matters.append(rule["matter"])
                line.matter_names.append(names["matters"].get(rule["matter"], rule["matter"]))
            result.append(line)
        else:
            line = result[at]
        line.required = True
        line.originals = max(line.originals, rule["originals"] or 0)
        line.copies = max(line.copies, rule["copies"] or 0)
        if line.originals == 0 and line.copies == 0:
            line.copies = 1  # a required material is handed in at least once
        if rule["note"] and rule["note"] not in line.notes:
            line.notes.append(rule["note"])
    notices = [n["text"] for n in definition["notices"] if holds(n["when"], answers)]
    return result, notices


def evaluate(definition: dict, scope: list[str], answers: dict, merged, names: dict[str, dict[str, str]]) -> Outcome:
    """The outcome of `answers` (question id → option id) under `definition` for a guide over `scope`.
    `merged(codes)` returns the catalogue's merged material list of those matters (NoticeLines)."""
    answers = answers if isinstance(answers, dict) else {}
    asked, counted, complete = answered(definition, answers)
    matters = selected_matters(definition, scope, counted)
    lines, notices = tailor(definition, merged(matters) if matters else [], matters, counted, names)
    return Outcome(asked, complete, matters, lines, notices, counted)


def materials_named(definition: dict) -> set[str]:
    return {rule["material"] for rule in definition["materials"]}
