"""Edges found in review: refusing at the desk with the guide's answers on the form, a guide whose answers choose
no matter, ids typed as odd digits."""

import pytest
from django.core.exceptions import ValidationError

from yichuang.intake import services as intake
from yichuang.intake.models import Submission
from yichuang.intake.tests.helpers import BUNDLE_MATERIALS, T0, build_hall, received
from yichuang.intake.tests.ids import credit_code
from yichuang.situation import services
from yichuang.situation.models import Guide, GuideCase

from .test_intake_with_guide import FEW, ORG, _version

pytestmark = pytest.mark.django_db

ALL_CONDITIONAL = """
questions:
  - {id: q, text: 办哪些？, options: [{id: x, text: 都办}, {id: y, text: 都不办}]}
matters:
  - {matter: SETUP, when: {q: [x]}}
  - {matter: SEAL, when: {q: [x]}}
  - {matter: INVOICE, when: {q: [x]}}
"""


def test_answers_that_choose_no_matter_are_refused():
    hall = build_hall()
    guide = Guide.objects.create(code="qy", name="开办", bundle=hall.bundle)
    GuideCase.objects.create(guide=guide, name="都办", answers="q=x", expect_matters="SETUP\nSEAL\nINVOICE")
    services.publish(services.new_draft(guide, ALL_CONDITIONAL, actor=hall.admin), actor=hall.admin)
    org = {
        "kind": "org",
        "name": "沈丘县好运商贸有限公司",
        "id_number": credit_code("91411624MA9"),
        "phone": "13900001111",
    }
    with pytest.raises(ValidationError) as exc:
        intake.submit(
            actor=hall.clerk, applicant=org, bundle="qiyekaiban", now=T0, materials=received(*BUNDLE_MATERIALS),
            situation={"version": guide.published().pk, "answers": {"q": "y"}},
        )  # fmt: skip
    assert "没有需要办理的事项" in exc.value.message_dict["situation"][0]
    assert not Submission.objects.exists()


def test_refusing_at_the_desk_with_the_guides_answers(demo_guides, client):
    import time_machine

    from yichuang.organisation import services as org_services
    from yichuang.organisation.models import Window
    from yichuang.organisation.tests.factories import UserFactory

    from .test_intake_with_guide import T0 as DEMO_T0

    with time_machine.travel(DEMO_T0, tick=True):
        user = UserFactory(window_clerk=True)
        window = Window.objects.filter(zone__code="sq-enterprise", kind=Window.Kind.INTAKE, is_open=True).first()
        org_services.take_seat(user, window)
        client.force_login(user)
        form = {"bundle": "enterprise-opening", "action": "refuse", "situation_version": "²", "reasons": "材料不齐",
                **{f"q-{k}": v for k, v in FEW.items()}, **{f"applicant.{k}": v for k, v in ORG.items()}}  # fmt: skip
        response = client.post("/desk/intake/", form)
        assert response.status_code == 302  # no 500: an odd id is no id, and the tailored list is the refusal's
    refused = Submission.objects.get()
    assert refused.status == Submission.Status.REFUSED
    assert refused.materials.filter(code="rental-contract").exists()  # the situation's list, not the bundle's
    assert _version()  # the published guide was offered and answered
