"""Forms of the online hall. Validation of the application itself is intake's (`intake.services.submit`);
these forms only read what was typed and check uploads before anything is stored."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from yichuang.core.phones import clean_mobile
from yichuang.intake import identity
from yichuang.intake.models import ApplicantKind, MaterialStatus
from yichuang.intake.uploads import upload_problem


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("手机号码"),
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "numeric"}),
    )

    def clean_phone(self):
        return clean_mobile(self.cleaned_data["phone"])


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("短信验证码"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class LookupForm(forms.Form):
    number = forms.CharField(label=_("受理编号或办件编号"), max_length=60)
    last4 = forms.CharField(
        label=_("手机号后四位"),
        max_length=4,
        min_length=4,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


class ApplicantForm(forms.Form):
    kind = forms.ChoiceField(label=_("申请人类别"), choices=ApplicantKind.choices, initial=ApplicantKind.PERSON)
    name = forms.CharField(label=_("姓名或单位名称"), max_length=100)
    id_number = forms.CharField(
        label=_("身份证号码或统一社会信用代码"), max_length=30, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )

    def clean(self):
        data = super().clean()
        kind, number = data.get("kind"), data.get("id_number")
        if kind and number:
            try:
                if kind == ApplicantKind.ORG:
                    data["id_number"] = identity.validate_credit_code(number)
                else:
                    data["id_number"] = identity.validate_resident_id(number)
            except ValidationError as exc:
                self.add_error("id_number", exc)
        return data


# What the applicant does with each material online.
UPLOAD = MaterialStatus.RECEIVED
CHOICE_LABELS = {
    MaterialStatus.RECEIVED: _("上传电子件"),
    MaterialStatus.DEFERRED: _("容缺后补（须签署承诺）"),
    MaterialStatus.PLEDGED: _("告知承诺（以承诺代替证明）"),
    MaterialStatus.MISSING: _("不提供（非必要材料）"),
}


def check_upload(uploaded) -> None:
    """The checks attach_file makes, made before anything is stored: content type and size."""
    if (problem := upload_problem(uploaded)) is not None:
        raise ValidationError(problem)


class MaterialsForm(forms.Form):
    """One choice, one file and one due date per line of the merged material list (fields status_N, file_N, due_N).
    `kept` maps a material code to the name of a file already uploaded on this form and kept on the server
    (portal.services.staged_uploads): such a line needs no new file."""

    def __init__(self, lines, *args, kept: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        self.kept = dict(kept or {})
        for i, line in enumerate(lines):
            choices = [UPLOAD]
            if line.deferrable:
                choices.append(MaterialStatus.DEFERRED)
            if line.pledgeable:
                choices.append(MaterialStatus.PLEDGED)
            if not line.required:
                choices.append(MaterialStatus.MISSING)
            self.fields[f"status_{i}"] = forms.ChoiceField(
                label=line.name,
                choices=[(c, CHOICE_LABELS[c]) for c in choices],
                initial=UPLOAD,
                widget=forms.RadioSelect if len(choices) > 1 else forms.HiddenInput,
            )
            self.fields[f"file_{i}"] = forms.FileField(label=_("文件"), required=False)
            self.fields[f"due_{i}"] = forms.DateField(
                label=_("补交期限"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
            )

    def rows(self):
        """(line, status field, file field, due field, name of the kept file or "") per material, for the template."""
        return [
            (line, self[f"status_{i}"], self[f"file_{i}"], self[f"due_{i}"], self.kept.get(line.material, ""))
            for i, line in enumerate(self.lines)
        ]

    def clean(self):
        data = super().clean()
        for i, line in enumerate(self.lines):
            status, upload = data.get(f"status_{i}"), data.get(f"file_{i}")
            if status == UPLOAD:
                if not upload:
                    if line.material not in self.kept:
                        self.add_error(f"file_{i}", _("请上传这份材料，或选择容缺后补 / 告知承诺。"))
                    continue
                try:
                    check_upload(upload)
                except ValidationError as exc:
                    self.add_error(f"file_{i}", exc)
            elif status == MaterialStatus.DEFERRED and not data.get(f"due_{i}"):
                self.add_error(f"due_{i}", _("请选择补交期限。"))
        return data

    def materials(self) -> list[dict]:
        """The `materials` argument of intake.services.submit, in the order of the merged list."""
        result = []
        for i, line in enumerate(self.lines):
            status = self.cleaned_data.get(f"status_{i}")
            item = {"material": line.material, "status": status}
            if status == MaterialStatus.DEFERRED:
                due = self.cleaned_data.get(f"due_{i}")
                item["due"] = due.isoformat() if isinstance(due, datetime.date) else None
            result.append(item)
        return result

    def checked_files(self) -> list[tuple[str, object]]:
        """(material code, upload) for every file chosen on this post that passed the upload check, whatever else
        is wrong with the form: each is kept on the server (a refused file is not in cleaned_data)."""
        data = getattr(self, "cleaned_data", {})
        return [(line.material, data[f"file_{i}"]) for i, line in enumerate(self.lines) if data.get(f"file_{i}")]

    def upload_codes(self) -> list[str]:
        """The material codes sent as files (a new upload or the kept one), once the form is valid."""
        return [line.material for i, line in enumerate(self.lines) if self.cleaned_data.get(f"status_{i}") == UPLOAD]


class SupplyForm(forms.Form):
    material = forms.CharField(widget=forms.HiddenInput, max_length=32)
    file = forms.FileField(label=_("文件"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        check_upload(upload)
        return upload
