"""The knowledge pages' forms: they read the input; the rules are in services.py."""

from django import forms
from django.utils.translation import gettext_lazy as _

from yichuang.catalogue.models import Matter

from .models import Article

_TEXT = {"rows": 14, "cols": 80}


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=200)
    kind = forms.ChoiceField(label=_("类别"), choices=Article.Kind.choices)
    visibility = forms.ChoiceField(label=_("公开范围"), choices=Article.Visibility.choices, widget=forms.RadioSelect)
    matters = forms.ModelMultipleChoiceField(
        label=_("相关事项"), queryset=Matter.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    legal_basis = forms.CharField(label=_("依据"), max_length=500, required=False)
    body = forms.CharField(label=_("正文"), widget=forms.Textarea(attrs=_TEXT))
    review_by = forms.DateField(
        label=_("复核日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("过期未复核的文章标为待更新"),
    )

    def __init__(self, *args, department_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["matters"].queryset = Matter.objects.filter(department_id=department_id).order_by("code")


class VersionForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=200)
    visibility = forms.ChoiceField(label=_("公开范围"), choices=Article.Visibility.choices, widget=forms.RadioSelect)
    legal_basis = forms.CharField(label=_("依据"), max_length=500, required=False)
    body = forms.CharField(label=_("正文"), widget=forms.Textarea(attrs=_TEXT))


class FileForm(forms.Form):
    file = forms.FileField(label=_("附件（填报样表等，PDF、JPEG、PNG 或 OFD）"))


class PublishForm(forms.Form):
    note = forms.CharField(label=_("审核意见（可不填）"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    review_by = forms.DateField(
        label=_("下次复核日期（可不填）"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class ReturnForm(forms.Form):
    note = forms.CharField(label=_("退回意见"), widget=forms.Textarea(attrs={"rows": 2}))


class ReviewDateForm(forms.Form):
    review_by = forms.DateField(
        label=_("复核日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


def apply_errors(form: forms.Form, exc) -> None:
    """A service's ValidationError onto the form: each message at its field, the rest at the top."""
    if hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, exc.messages)
