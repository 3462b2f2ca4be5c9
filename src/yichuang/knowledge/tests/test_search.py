import pytest

from yichuang.catalogue.models import Synonym
from yichuang.knowledge.models import Article, SearchLog
from yichuang.knowledge.queries import search

from .helpers import Desk

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    return Desk()


def test_two_character_words_pinyin_and_synonyms(desk):
    a = desk.publish(title="个体户登记指南", body="个体工商户如何登记。", matters=[])
    b = desk.publish(title="食品经营许可问答", body="开饭店需要食品经营许可证。", matters=[])
    assert search("登记", public_only=True) == [a]
    assert search("许可", public_only=True) == [b]
    assert search("shipin", public_only=True) == [b]  # pinyin of the title
    assert search("gthdjzn", public_only=True) == [a]  # initials
    Synonym.objects.create(phrase="开餐馆", words="食品经营")
    assert search("开餐馆怎么办", public_only=True) == [b]
    assert search("不存在的词语", public_only=True) == []


def test_public_only_matters_department_and_log(desk):
    public = desk.publish(title="公开登记问答")
    internal = desk.publish(title="内部登记口径", visibility=Article.Visibility.INTERNAL)
    assert search("登记", public_only=True) == [public]
    assert set(search("登记", public_only=False)) == {public, internal}
    assert search("", public_only=True, matters=[desk.matter]) == [public]
    assert search("登记", public_only=False, department=desk.department.pk + 999) == []
    search("登记 13812345678", public_only=True, source=SearchLog.Source.GUIDE)
    search("没有结果", public_only=True, source=SearchLog.Source.GUIDE)
    logs = list(SearchLog.objects.order_by("pk").values_list("query", "hits"))
    assert logs == [("登记 *", 1), ("没有结果", 0)]  # the phone number is never logged
