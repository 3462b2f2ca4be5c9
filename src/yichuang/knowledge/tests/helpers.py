"""Builders for the knowledge tests: a department with an editor, a hall admin, and published articles."""

from yichuang.catalogue.tests.factories import MatterFactory
from yichuang.knowledge import services
from yichuang.knowledge.models import Article
from yichuang.organisation.tests.factories import DepartmentFactory, UserFactory


class Desk:
    def __init__(self):
        self.department = DepartmentFactory(name="县市场监督管理局")
        self.editor = UserFactory(officer=True, department=self.department)
        self.admin = UserFactory(hall_admin=True)
        self.matter = MatterFactory(department=self.department, name="企业设立登记", keywords="营业执照")

    def publish(self, title="企业开办常见问题", body="办理企业设立登记需要提交申请书。", **kwargs) -> Article:
        kwargs.setdefault("matters", [self.matter])
        article = services.create_article(self.editor, department=self.department, title=title, body=body, **kwargs)
        version = article.versions.get()
        services.submit(self.editor, version)
        return services.publish(self.admin, version)
