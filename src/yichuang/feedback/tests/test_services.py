"""一次评价: rating rules, rectification with its working-day limit, appeals, immutability, default ratings."""

import datetime as dt
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from yichuang.clock.workcalendar import SHANGHAI
from yichuang.feedback import services
from yichuang.feedback.models import Appeal, Channel, Evaluation, FeedbackRules, ImmutableError, Rectification
from yichuang.organisation.tests.factories import UserFactory

from .conftest import concluded_case, finished_ticket

pytestmark = pytest.mark.django_db

# Thursday 2 April 2026, 10:00: 清明 is Sat 4 – Mon 6 April.
APRIL_2 = dt.datetime(2026, 4, 2, 10, 0, tzinfo=SHANGHAI)


def test_rating_twice_refused_on_the_same_channel_allowed_on_another(case):
    first = services.rate(level=5, channel=Channel.LINK, case=case)
    with pytest.raises(ValidationError, match="已经通过“短信邀请链接”评价过"):
        services.rate(level=1, channel=Channel.LINK, case=case)
    second = services.rate(level=4, channel=Channel.PORTAL, case=case)
    assert {first.pk, second.pk} == set(Evaluation.objects.filter(case=case).values_list("pk", flat=True))
    assert Evaluation.objects.get(pk=first.pk).level == 5


def test_a_visit_is_rated_once_per_channel(office):
    ticket = finished_ticket(office.hall.w_general, office.hall.general_clerk)
    services.rate(level=4, channel=Channel.PAD, ticket=ticket)
    with pytest.raises(ValidationError, match="本次服务已经"):
        services.rate(level=4, channel=Channel.PAD, ticket=ticket)
    assert Evaluation.objects.filter(ticket=ticket).count() == 1


def test_the_unique_constraint_decides_when_two_arrive_at_once(case):
    """The second insert passes the look-up (as if both looked at the same instant) and meets the constraint."""
    services.rate(level=5, channel=Channel.LINK, case=case)
    with mock.patch("django.db.models.query.QuerySet.exists", return_value=False):
        with pytest.raises(ValidationError, match="不能重复评价"):
            services.rate(level=3, channel=Channel.LINK, case=case)
    assert Evaluation.objects.filter(case=case).count() == 1


def test_who_and_where_fixed_at_rating_time(office, case):
    evaluation = services.rate(level=4, channel=Channel.PAD, case=case, window=office.hall.w_general)
    assert evaluation.staff == office.officer
    assert evaluation.department == office.hall.samr
    assert evaluation.window == office.hall.w_general
    assert evaluation.zone == office.hall.general


def test_a_bad_rating_opens_a_rectification_due_after_five_working_days(office, case):
    evaluation = services.rate(level=2, channel=Channel.LINK, case=case, comment="等太久", now=APRIL_2)
    rect = Rectification.objects.get(evaluation=evaluation)
    # Working days after Thu 2 April: Fri 3, (清明 Sat 4 – Mon 6), Tue 7, Wed 8, Thu 9, Fri 10 → close of Fri 10.
    assert rect.due_at == dt.datetime(2026, 4, 10, 17, 30, tzinfo=SHANGHAI)
    assert rect.assignee == office.officer
    assert rect.department == office.hall.samr
    assert rect.status == Rectification.Status.OPEN
    assert not rect.follow_up_required


def test_the_limit_follows_the_rules(case):
    FeedbackRules.objects.create(rectification_days=2)
    evaluation = services.rate(level=1, channel=Channel.LINK, case=case, now=APRIL_2)
    # Fri 3, Tue 7.
    assert evaluation.rectification.due_at == dt.datetime(2026, 4, 7, 17, 30, tzinfo=SHANGHAI)


def test_good_ratings_open_nothing(case):
    services.rate(level=3, channel=Channel.LINK, case=case)
    assert not Rectification.objects.exists()


def test_a_bad_visit_rating_goes_to_the_clerk_who_served(office):
    ticket = finished_ticket(office.hall.w_general, office.hall.general_clerk)
    evaluation = services.rate(level=1, channel=Channel.PAD, ticket=ticket)
    rect = evaluation.rectification
    assert rect.assignee == office.hall.general_clerk
    assert rect.department is None


def test_real_name_bad_rating_must_be_followed_up_before_it_is_resolved(office, case):
    evaluation = services.rate(level=2, channel=Channel.LINK, case=case, real_name=True)
    rect = evaluation.rectification
    assert rect.follow_up_required
    with pytest.raises(ValidationError, match="须先回访"):
        services.resolve(rect, office.officer, "fixed", "已改进")
    with pytest.raises(PermissionDenied):
        services.record_follow_up(rect, office.tax_officer, "电话回访")
    services.record_follow_up(rect, office.officer, "电话回访，申请人表示理解")
    with pytest.raises(ValidationError, match="已经回访"):
        services.record_follow_up(rect, office.officer, "再次回访")
    with pytest.raises(ValidationError, match="已整改或已说明"):
        services.resolve(rect, office.officer, "open", "x")
    done = services.resolve(rect, office.lead, "explained", "系法定程序所需时间，已解释")
    assert done.status == Rectification.Status.EXPLAINED and done.resolved_by == office.lead
    with pytest.raises(ValidationError, match="已经办结"):
        services.resolve(rect, office.officer, "fixed", "again")


def test_anonymous_bad_rating_can_be_resolved_without_follow_up(office, case):
    rect = services.rate(level=2, channel=Channel.LINK, case=case).rectification
    assert services.resolve(rect, office.officer, "fixed", "已整改").status == "fixed"


def test_an_appeal_keeps_the_original_rating_visible_and_unchanged(office, case):
    evaluation = services.rate(level=1, channel=Channel.LINK, case=case, comment="态度差", tags=["attitude"])
    before = Evaluation.objects.filter(pk=evaluation.pk).values().get()
    with pytest.raises(PermissionDenied):
        services.appeal(evaluation, office.tax_officer, "恶意差评")
    with pytest.raises(ValidationError):
        services.appeal(evaluation, office.officer, "  ")
    appeal = services.appeal(evaluation, office.officer, "申请人对法定条件不满，非服务问题")
    with pytest.raises(ValidationError, match="待复核"):
        services.appeal(evaluation, office.lead, "同上")
    with pytest.raises(PermissionDenied):
        services.review_appeal(appeal, office.lead, True, "成立")
    reviewed = services.review_appeal(appeal, office.supervisor, True, "经核实，差评与服务无关")
    assert reviewed.status == Appeal.Status.UPHELD
    with pytest.raises(ValidationError, match="已经复核"):
        services.review_appeal(appeal, office.supervisor, False, "again")
    assert Evaluation.objects.filter(pk=evaluation.pk).values().get() == before
    assert list(evaluation.appeals.all()) == [reviewed]
    # The lead of the department may appeal too, once the first is decided.
    assert services.appeal(evaluation, office.lead, "补充材料").status == Appeal.Status.PENDING


def test_ratings_cannot_be_edited_or_deleted(case):
    evaluation = services.rate(level=2, channel=Channel.LINK, case=case)
    evaluation.level = 5
    with pytest.raises(ImmutableError):
        evaluation.save()
    with pytest.raises(ImmutableError):
        evaluation.delete()
    with pytest.raises(ImmutableError):
        Evaluation.objects.filter(pk=evaluation.pk).update(level=5)
    with pytest.raises(ImmutableError):
        Evaluation.objects.filter(pk=evaluation.pk).delete()
    assert Evaluation.objects.get(pk=evaluation.pk).level == 2
    assert not hasattr(services, "edit") and not hasattr(services, "delete")


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"level": 0}, "level"),
        ({"level": 6}, "level"),
        ({"level": "很好"}, "level"),
        ({"level": True}, "level"),
        ({"level": 4, "dimensions": {"guide_accuracy": 4}}, "dimensions.guide_accuracy"),  # online key on a pad
        ({"level": 4, "dimensions": {"attitude": 6}}, "dimensions.attitude"),
        ({"level": 4, "dimensions": ["attitude"]}, "dimensions"),
        ({"level": 4, "tags": ["nonsense"]}, "tags"),
        ({"level": 4, "comment": "差" * 501}, "comment"),
    ],
)
def test_input_is_validated(office, kwargs, field):
    ticket = finished_ticket(office.hall.w_general, office.hall.general_clerk)
    with pytest.raises(ValidationError) as caught:
        services.rate(channel=Channel.PAD, ticket=ticket, **kwargs)
    assert field in caught.value.message_dict
    assert not Evaluation.objects.exists()


def test_dimensions_follow_the_channel(office, case):
    ticket = finished_ticket(office.hall.w_general, office.hall.general_clerk)
    pad = services.rate(level=5, channel=Channel.PAD, ticket=ticket, dimensions={"efficiency": 5, "attitude": "4"})
    assert pad.dimensions == {"efficiency": 5, "attitude": 4}
    with pytest.raises(ValidationError):
        services.rate(level=5, channel=Channel.LINK, case=case, dimensions={"attitude": 5})
    online = services.rate(level=5, channel=Channel.LINK, case=case, dimensions={"guide_accuracy": 5})
    assert online.dimensions == {"guide_accuracy": 5}


def test_an_open_case_cannot_be_rated(office):
    from yichuang.backoffice.tests.conftest import take_in

    with pytest.raises(ValidationError, match="办结后"):
        services.rate(level=5, channel=Channel.LINK, case=take_in(office.hall))


def test_default_ratings_are_off_by_default_and_given_once_when_on(office, case):
    later = case.concluded_at + dt.timedelta(days=20)
    assert services.apply_default_ratings(later) == 0
    assert not Evaluation.objects.exists()
    FeedbackRules.objects.create(default_after_days=15)
    rated = concluded_case(office, at=case.accepted_at + dt.timedelta(hours=2))
    services.rate(level=4, channel=Channel.PORTAL, case=rated)
    recent = concluded_case(office, at=case.accepted_at + dt.timedelta(days=10))
    assert services.apply_default_ratings(case.concluded_at + dt.timedelta(days=14)) == 0
    assert services.apply_default_ratings(later) == 1
    assert services.apply_default_ratings(later) == 0
    default = Evaluation.objects.get(channel=Channel.DEFAULT)
    assert default.case == case and default.level == 4
    assert not Evaluation.objects.filter(case=recent).exists()


def test_pairing_a_pad(office):
    window = office.hall.w_general
    nobody = UserFactory(username="norole")
    with pytest.raises(PermissionDenied):
        services.pair_pad(window, nobody)
    secret = services.pair_pad(window, office.hall.general_clerk)
    assert services.pad_for(window, secret).window == window
    assert services.pad_for(window, "guess") is None
    assert services.pad_for(window, "") is None
    assert services.pad_for(office.hall.w1, secret) is None
    again = services.pair_pad(window, office.hall.admin)
    assert services.pad_for(window, secret) is None  # the old tablet stops working
    assert services.pad_for(window.pk, again).paired_by == office.hall.admin
    assert window.rating_pad.secret_hash != again  # only the hash is stored
