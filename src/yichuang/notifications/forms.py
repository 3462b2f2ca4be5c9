"""The person's own form for their channel (通知方式), shown in the online hall (portal.views.notify)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .addresses import mask_email, mask_openid
from .models import OPENID_VALIDATOR, Channel, Contact


class ContactForm(forms.Form):
    """An address left empty keeps the saved one (shown masked); the box beside it removes it."""

    preferred = forms.ChoiceField(label=_("首选通知方式"), widget=forms.RadioSelect)
    email = forms.EmailField(
        label=_("电子邮箱"), required=False, max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    clear_email = forms.BooleanField(label=_("删除已保存的邮箱"), required=False)
    wechat_openid = forms.CharField(
        label=_("微信 OpenID"),
        required=False,
        max_length=64,
        validators=[OPENID_VALIDATOR],
        help_text=_("关注本中心公众号后，在公众号菜单“我的 OpenID”中查看。"),
    )
    clear_openid = forms.BooleanField(label=_("删除已保存的微信 OpenID"), required=False)

    def __init__(self, *args, contact: Contact, channels: list[str], **kwargs):
        kwargs.setdefault("initial", {"preferred": contact.preferred if contact.preferred in channels else Channel.SMS})
        super().__init__(*args, **kwargs)
        self.contact = contact
        self.fields["preferred"].choices = [(channel, Channel(channel).label) for channel in channels]
        if Channel.EMAIL not in channels:
            del self.fields["email"], self.fields["clear_email"]
        elif contact.email:
            self.fields["email"].help_text = _("已保存：%(value)s（不填则保留）") % {"value": mask_email(contact.email)}
        if Channel.WECHAT not in channels:
            del self.fields["wechat_openid"], self.fields["clear_openid"]
        elif contact.wechat_openid:
            self.fields["wechat_openid"].help_text = _("已保存：%(value)s（不填则保留）") % {
                "value": mask_openid(contact.wechat_openid)
            }

    def changes(self) -> dict:
        """The arguments of services.set_contact: None keeps an address, "" removes it."""
        data = self.cleaned_data
        result = {"preferred": data["preferred"]}
        for field, clear in (("email", "clear_email"), ("wechat_openid", "clear_openid")):
            if field in self.fields:
                result[field] = "" if data.get(clear) else (data.get(field) or None)
        return result
