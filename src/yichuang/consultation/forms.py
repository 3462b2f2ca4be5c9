"""Forms of the consultation pages: they only parse input; the rules are in services (errors shown at the field)."""

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from yichuang.catalogue.models import Matter
from yichuang.organisation.models import Department

from .models import Consultation

LEVEL_CHOICES = [(5, _("非常满意")), (4, _("满意")), (3, _("基本满意")), (2, _("不满意")), (1, _("非常不满意"))]


def _matter_field(required=False):
    return forms.ModelMultipleChoiceField(
        label=_("涉及事项"),
        queryset=Matter.objects.select_related("department").order_by("department__name", "code"),
        required=required,
        # consultation/ask.js makes it the same search-as-you-type picker as the online question form's.
        widget=forms.SelectMultiple(
            attrs={"size": 6, "data-matter-picker": "", "data-search-url": reverse_lazy("consultation:matters")}
        ),
        help_text=_("可选多个。"),
    )


class DepartmentChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class RecordForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("渠道"),
        choices=[(c.value, c.label) for c in Consultation.Channel if c != Consultation.Channel.ONLINE],
        widget=forms.RadioSelect,
    )
    question = forms.CharField(
        label=_("咨询内容"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off", "data-suggest-source": ""}),
    )
    matters = _matter_field()
    asker_name = forms.CharField(label=_("咨询人（可不填）"), max_length=50, required=False)
    asker_phone = forms.CharField(
        label=_("联系电话（可不填；转办的答复以短信告知）"), max_length=32, required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )  # fmt: skip
    solved = forms.TypedChoiceField(
        label=_("处理结果"),
        choices=[("1", _("当场解答")), ("0", _("未能当场解决，转办部门"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
        initial="1",
    )
    answer = forms.CharField(
        label=_("答复内容"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    department = DepartmentChoice(
        label=_("转办部门"),
        queryset=Department.objects.order_by("name"),
        required=False,
        empty_label=_("（按事项所属部门）"),
    )
    note = forms.CharField(
        label=_("转办说明"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    # The video call the question came by (the video desk's link "记录本次咨询"); checked by services.record.
    video_call = forms.CharField(label=_("视频通话"), max_length=20, required=False, widget=forms.HiddenInput)


class AskForm(forms.Form):
    question = forms.CharField(
        label=_("您想咨询什么？"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5, "autocomplete": "off", "data-suggest-source": ""}),
    )
    asker_phone = forms.CharField(
        label=_("手机号码（答复将以短信告知）"), max_length=32, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    asker_name = forms.CharField(label=_("称呼（可不填）"), max_length=50, required=False)
    # Optional: the matters the question concerns (the escalation goes to their department). Without script a
    # plain multiple select; consultation/ask.js turns it into a search-as-you-type picker over the guide's search.
    matters = forms.ModelMultipleChoiceField(
        label=_("涉及的事项（可不选）"),
        queryset=Matter.objects.exclude(status=Matter.Status.CANCELLED).order_by("name", "code"),
        required=False,
        widget=forms.SelectMultiple(
            attrs={"size": 6, "data-matter-picker": "", "data-search-url": reverse_lazy("consultation:matters")}
        ),
        help_text=_("可选多个；不清楚办哪个事项的，可不选。"),
    )


class DeskReplyForm(forms.Form):
    answer = forms.CharField(label=_("答复内容"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))


class EscalateForm(forms.Form):
    department = DepartmentChoice(
        label=_("转办部门"),
        queryset=Department.objects.order_by("name"),
        required=False,
        empty_label=_("（按事项所属部门）"),
    )
    note = forms.CharField(
        label=_("转办说明"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class SuggestArticleForm(forms.Form):
    """建议入库 from the desk: the department only when the question's matters do not name one department."""

    department = DepartmentChoice(
        label=_("建议入库部门"),
        queryset=Department.objects.order_by("name"),
        required=False,
        empty_label=_("（请选择）"),
    )


class AnswerForm(forms.Form):
    reply = forms.CharField(label=_("部门答复"), max_length=2000, widget=forms.Textarea(attrs={"rows": 5}))


class RateForm(forms.Form):
    level = forms.TypedChoiceField(
        label=_("您对这次咨询的评价"), choices=LEVEL_CHOICES, coerce=int, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("意见建议（可不填）"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """A service's ValidationError onto the form: each message at its field, the rest at the top."""
    if hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, exc.messages)
