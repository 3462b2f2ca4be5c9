"""Templates mask names with core.masking's own rule (`{{ name|mask_name }}`), never their own slice."""

from django.template import Context, Template


def test_the_template_filter_is_the_masking_rule():
    template = Template("{% load masking %}[{{ name|mask_name }}]")
    assert template.render(Context({"name": "欧阳娜娜"})) == "[欧***]"
    assert template.render(Context({"name": "张三"})) == "[张*]"
    assert template.render(Context({"name": ""})) == "[]"
