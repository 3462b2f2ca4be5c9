"""Nothing is issued twice by one form (issue 13.2): the 督办单 form carries a one-time token; a repeat shows the
order issued first and issues nothing."""

from yichuang.core.tests.once_helpers import repeated, token_in
from yichuang.supervision.models import Order

from .test_pages import client_for, future, red_case  # noqa: F401 - the fixture


def test_an_order_sent_twice_is_issued_once(office, red_case):  # noqa: F811
    sup = client_for(office.supervisor)
    token = token_in(sup.get(f"/supervision/orders/new/?case={red_case.number}"))
    data = {
        "case": red_case.number,
        "level": "blue",
        "instruction": "请说明原因",
        "reply_due": future().strftime("%Y-%m-%dT%H:%M"),
        "form_token": token,
    }
    first = sup.post("/supervision/orders/new/", data)
    assert first.status_code == 302
    second = sup.post("/supervision/orders/new/", data)
    assert second["Location"] == first["Location"]
    order = Order.objects.get()
    assert order.number in repeated(sup, second)
