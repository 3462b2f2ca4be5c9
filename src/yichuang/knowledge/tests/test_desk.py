"""The intake desk shows the knowledge base's articles (internal ones too) for the matters being taken in."""

import pytest

from yichuang.intake.tests.conftest import _media, django_db_setup  # noqa: F401
from yichuang.intake.tests.helpers import build_hall
from yichuang.intake.tests.test_views import form, login
from yichuang.knowledge import services
from yichuang.knowledge.models import Article
from yichuang.organisation.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hall(db):
    return build_hall()


def test_desk_lists_articles_of_the_chosen_matters(client, hall):
    editor = UserFactory(officer=True, department=hall.samr)
    admin = UserFactory(hall_admin=True)
    for title, visibility in [("企业设立登记常见问题", "public"), ("设立登记内部口径", "internal")]:
        article = services.create_article(
            editor, department=hall.samr, title=title, body="正文", visibility=visibility, matters=[hall.setup]
        )
        services.submit(editor, article.versions.get())
        services.publish(admin, article.versions.get())
    other = services.create_article(editor, department=hall.samr, title="不相关的文章", body="正文")
    services.submit(editor, other.versions.get())
    services.publish(admin, other.versions.get())
    login(client, hall.clerk)
    page = client.post("/desk/intake/", form(action="checklist")).content.decode()
    aside = page.split('id="desk-articles"')[1].split("</aside>")[0]
    assert "企业设立登记常见问题" in aside and "设立登记内部口径" in aside and "仅内部" in aside
    assert "不相关的文章" not in aside
    assert Article.objects.count() == 3
