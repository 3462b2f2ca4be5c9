"""A guide's test cases: their text format (admin-friendly lines) and running them against a version."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from . import queries, rules
from .models import GuideCase, GuideVersion


@dataclass
class Expectation:
    answers: dict[str, str]
    matters: set[str]
    required: dict[str, tuple[int, int] | None]  # material → (originals, copies) or None for any counts
    absent: set[str]
    notices: list[str]


def parse_case(case: GuideCase) -> Expectation:
    problems, answers = [], {}
    for n, raw in enumerate((case.answers or "").splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        qid, sep, opt = line.partition("=")
        if not sep or not qid.strip() or not opt.strip():
            problems.append(_("回答第 %(n)d 行应写成 问题编码=选项编码。") % {"n": n})
            continue
        answers[qid.strip()] = opt.strip()
    required, absent = {}, set()
    for n, raw in enumerate((case.expect_materials or "").splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("-"):
            absent.add(line[1:].strip())
            continue
        code, _sep, counts = line.partition(" ")
        counts = counts.strip()
        if counts:
            originals, slash, copies = counts.partition("/")
            if not slash or not originals.strip().isdigit() or not copies.strip().isdigit():
                problems.append(_("材料要求第 %(n)d 行的份数应写成 原件数/复印件数，如 0/1。") % {"n": n})
                continue
            required[code] = (int(originals), int(copies))
        else:
            required[code] = None
    if problems:
        raise ValidationError(problems)
    return Expectation(
        answers,
        {c.strip() for c in (case.expect_matters or "").splitlines() if c.strip()},
        required,
        absent,
        [t.strip() for t in (case.expect_notices or "").splitlines() if t.strip()],
    )


@dataclass
class CaseResult:
    case: GuideCase
    passed: bool
    problems: list[str]
    outcome: rules.Outcome | None = None


def run(case: GuideCase, version: GuideVersion) -> CaseResult:
    try:
        expected = parse_case(case)
    except ValidationError as exc:
        return CaseResult(case, False, exc.messages)
    result = queries.outcome(version, expected.answers)
    problems = []
    if not result.complete:
        missing = [q for q in result.asked if q not in result.answers]
        problems.append(_("回答不完整：还需回答 %(q)s。") % {"q": "、".join(missing)})
    extra = set(expected.answers) - set(result.answers)
    if extra:
        problems.append(_("这些回答不会被问到或选项不存在：%(q)s。") % {"q": "、".join(sorted(extra))})
    got = set(result.matters)
    if got != expected.matters:
        if missing_m := expected.matters - got:
            problems.append(_("缺少事项：%(c)s。") % {"c": "、".join(sorted(missing_m))})
        if extra_m := got - expected.matters:
            problems.append(_("多出事项：%(c)s。") % {"c": "、".join(sorted(extra_m))})
    lines = {line.material: line for line in result.materials}
    for code, counts in expected.required.items():
        line = lines.get(code)
        if line is None or not line.required:
            problems.append(_("材料“%(c)s”应为必要材料。") % {"c": code})
        elif counts is not None and (line.originals, line.copies) != counts:
            problems.append(
                _("材料“%(c)s”应为原件 %(o)d 份、复印件 %(p)d 份，结果为 %(ro)d/%(rp)d。")
                % {"c": code, "o": counts[0], "p": counts[1], "ro": line.originals, "rp": line.copies}
            )
    for code in expected.absent:
        if code in lines:
            problems.append(_("材料“%(c)s”不应出现在清单中。") % {"c": code})
    for text in expected.notices:
        if text not in result.notices:
            problems.append(_("缺少告知内容：%(t)s") % {"t": text})
    return CaseResult(case, not problems, problems, result)


def run_all(version: GuideVersion) -> list[CaseResult]:
    return [run(case, version) for case in version.guide.cases.all()]
