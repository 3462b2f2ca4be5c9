"""The demo's assisted service: clerk16 at window 43 (沈速办帮您办) helps an agricultural company with its project,
consent recorded with the signed form (the printed 授权委托书), and has submitted its 企业设立登记 and 用电报装申请
for it today — so `/assist/` has a project page with cases to follow."""

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone

from yichuang.catalogue.models import Matter
from yichuang.catalogue.queries import merged_materials
from yichuang.core.pdf import render_pdf_bytes
from yichuang.intake import services as intake
from yichuang.intake.identity import uscc_check
from yichuang.organisation.models import User

from . import services
from .models import Assistance

PROJECT = "年产2万吨有机肥加工项目"
MATTERS = ["411624-XK-SCJG-001", "411624-GG-GD-002"]


def load_assistance() -> str:
    helper = User.objects.filter(username="clerk16").first()
    if helper is None or Assistance.objects.exists():
        return "帮办代办：无"
    first17 = "91411624MA47HF3N2"
    subject = {"kind": "org", "name": "沈丘县禾丰农业科技有限公司", "id_number": first17 + uscc_check(first17),
               "phone": "13703945521"}  # fmt: skip
    signed = render_pdf_bytes("assistance/consent_form.html", {
        "site_name": helper.site.name if helper.site_id else "", "subject_name": subject["name"],
        "id_number": subject["id_number"], "project_name": PROJECT, "helper_name": helper.get_full_name(),
        "today": timezone.localdate(),
    })  # fmt: skip
    assistance = services.start(
        actor=helper, category="project", subject=subject, project_name=PROJECT, consent_submit=True,
        consent_confirmed=True, consent_file=ContentFile(signed, name="授权委托书.pdf"),
    )  # fmt: skip
    head = f"帮办代办：1 个企业投资项目（{assistance.number}，帮办员 {helper.get_full_name()}"
    lines = merged_materials(list(Matter.objects.filter(code__in=MATTERS)))
    try:
        intake.submit(
            actor=helper, applicant=subject, matters=MATTERS, assistance=assistance.pk,
            materials=[{"material": line.material, "status": "received"} for line in lines if line.required],
            idempotency_key="demo-assistance-1",
        )  # fmt: skip
    except ValidationError as exc:  # e.g. clerk16 not seated today: the project waits for its first submission
        return f"{head}；未代为提交：{'；'.join(exc.messages)}）"
    return f"{head}，已代为提交 1 件）"
