"""{% case_fees case %}: a case's payment notices (amount, state, 缴款码, 电子票据号) on the back office's case
page and the applicant's progress page; the output window passes the notices it already read."""

from django import template

from .. import gateways
from ..models import PaymentNotice

register = template.Library()


@register.inclusion_tag("fees/_notices.html")
def case_fees(case, notices=None, simulate=False):
    if notices is None:
        notices = list(PaymentNotice.objects.filter(case=case).prefetch_related("lines").order_by("pk"))
    return {"notices": notices, "simulate": simulate and gateways.simulator_allowed()}
