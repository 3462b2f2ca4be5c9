import pytest

from yichuang.catalogue.tests.factories import MatterFactory
from yichuang.knowledge.demo import load_articles
from yichuang.knowledge.models import Article
from yichuang.organisation.tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_demo_articles_load_once_with_internal_stale_and_sample_forms():
    market = DepartmentFactory(code="market", name="县市场监督管理局")
    UserFactory(username="officer_market", officer=True, department=market)
    UserFactory(username="admin", hall_admin=True)
    MatterFactory(code="411624-XK-SCJG-001", name="企业设立登记", department=market)
    tax = DepartmentFactory(code="tax", name="县税务局")
    UserFactory(username="officer_tax", officer=True, department=tax)
    first = load_articles()
    assert first.startswith("知识库：新增 5 篇")
    assert load_articles().startswith("知识库：新增 0 篇，共 5 篇")  # idempotent
    assert Article.objects.filter(visibility="internal").count() == 1
    from yichuang.knowledge.queries import with_stale

    assert with_stale(Article.objects.all()).filter(is_stale=True).count() == 1
    assert Article.objects.get(published__title="个体工商户登记申请书填报样表").published.files.count() == 1
    assert Article.objects.get(published__title="企业开办常见问题").matters.count() == 1
