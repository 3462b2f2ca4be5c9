from django.urls import path, register_converter

from . import views


class OrderNumberConverter:
    """DB-<year>-<sequence>: anything else is a 404 before any query."""

    regex = r"DB-\d{4}-\d{4,8}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(OrderNumberConverter, "order_number")

app_name = "supervision"

urlpatterns = [
    path("", views.board, name="board"),
    path("orders/", views.orders, name="orders"),
    path("orders/new/", views.issue, name="issue"),
    path("orders/<order_number:number>/", views.order, name="order"),
    path("orders/<order_number:number>/reply/", views.reply, name="reply"),
    path("orders/<order_number:number>/escalate/", views.escalate, name="escalate"),
    path("orders/<order_number:number>/close/", views.close, name="close"),
    path("tasks/", views.tasks, name="tasks"),
    path("tasks/<slug:code>/status/", views.task_status, name="task_status"),
]
