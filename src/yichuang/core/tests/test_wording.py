"""Django's stock validation messages in the hall's wording (core.wording), on every form."""

from django import forms

from yichuang.consultation.forms import AskForm


class _Form(forms.Form):
    text = forms.CharField(max_length=3, min_length=2)


def test_too_long_too_short_required_and_a_nul_character_read_plainly():
    assert _Form({"text": "四个汉字"}).errors["text"] == ["不能超过 3 个字（现有 4 个）。"]
    assert _Form({"text": "一"}).errors["text"] == ["至少 2 个字（现有 1 个）。"]
    assert _Form({"text": ""}).errors["text"] == ["此项为必填。"]
    assert _Form({"text": "a\x00"}).errors["text"] == ["内容含有不允许的控制字符。"]


def test_the_citizens_question_form_says_so_too():
    errors = AskForm({"question": "问" * 5000, "asker_phone": "13800007777"}).errors
    assert errors["question"] == ["不能超过 2000 个字（现有 5000 个）。"]
