"""Forms of the supervision pages: they only parse input; the rules are in services (errors shown at the field)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Level, Order, SupervisionTask

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class DueInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self):
        super().__init__(format=DATETIME_LOCAL)


def _due_field():
    return forms.DateTimeField(
        label=_("答复期限"), input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d"], widget=DueInput()
    )


class IssueForm(forms.Form):
    level = forms.ChoiceField(label=_("督办等级"), choices=Level.choices, initial=Level.BLUE, widget=forms.RadioSelect)
    instruction = forms.CharField(label=_("督办事项"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000)
    reply_due = _due_field()


class OwnIds(forms.Form):
    """Several of these forms share one page: each gets its own element ids (names stay the same)."""

    id_prefix = "id"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class ReplyForm(OwnIds):
    id_prefix = "reply"
    text = forms.CharField(label=_("答复内容"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000)


class EscalateForm(OwnIds):
    id_prefix = "escalate"
    text = forms.CharField(label=_("升级理由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    reply_due = _due_field()


class CloseForm(OwnIds):
    id_prefix = "close"
    text = forms.CharField(label=_("办结意见"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class TaskStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), choices=SupervisionTask.Status.choices)


class LedgerFilter(forms.Form):
    status = forms.ChoiceField(label=_("状态"), choices=[("", _("全部")), *Order.Status.choices], required=False)
    level = forms.ChoiceField(label=_("等级"), choices=[("", _("全部")), *Level.choices], required=False)
    department = forms.TypedChoiceField(label=_("部门"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", _("全部")), *((d.pk, d.name) for d in departments)]


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """A service's ValidationError onto the form: each message at its field, the rest at the top."""
    if hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, exc.messages)
