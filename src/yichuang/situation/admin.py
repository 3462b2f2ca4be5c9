"""Hall admins edit situation guides here: the guide and its test cases, draft versions of its rules (YAML), the
试算 panel (answers in, the result out — the same page component citizens use — and every test case's result), and
publishing through `services.publish` (refused unless every case passes)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yichuang.core.admin import AuditedAdminMixin

from . import cases, queries, services
from .models import Guide, GuideCase, GuideVersion


class GuideCaseInline(admin.StackedInline):
    model = GuideCase
    extra = 0
    fields = ["name", ("answers", "expect_matters"), ("expect_materials", "expect_notices")]
    formfield_overrides = {
        GuideCase._meta.get_field("answers"): {"widget": forms.Textarea(attrs={"rows": 4, "cols": 40})},
    }

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if isinstance(getattr(field, "widget", None), forms.Textarea):
            field.widget.attrs.update(rows=4, cols=40)
        return field


@admin.register(Guide)
class GuideAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "bundle", "matter", "published_version"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["matter"]
    inlines = [GuideCaseInline]
    readonly_fields = ["versions_list"]
    fields = ["code", "name", "bundle", "matter", "intro", "versions_list"]

    @admin.display(description=gettext_lazy("已发布版本"))
    def published_version(self, guide):
        version = guide.published()
        return f"v{version.number}" if version else "—"

    @admin.display(description=gettext_lazy("版本"))
    def versions_list(self, guide):
        if not guide.pk:
            return "—"
        items = [
            format_html(
                '<li><a href="{}">v{} · {}</a> <a href="{}">{}</a></li>',
                reverse("admin:situation_guideversion_change", args=[v.pk]),
                v.number,
                v.get_status_display(),
                reverse("admin:situation_guideversion_try", args=[v.pk]),
                _("试算"),
            )  # fmt: skip
            for v in guide.versions.all()
        ]
        add = format_html(
            '<a class="addlink" href="{}?guide={}">{}</a>',
            reverse("admin:situation_guideversion_add"), guide.pk, _("新建版本"),
        )  # fmt: skip
        return format_html("<ul>{}</ul>{}", format_html("".join(items)) if items else "", add)


class VersionForm(forms.ModelForm):
    class Meta:
        model = GuideVersion
        fields = ["guide", "source", "note"]
        widgets = {"source": forms.Textarea(attrs={"rows": 28, "cols": 100, "class": "vLargeTextField monospace",
                                                   "spellcheck": "false"})}  # fmt: skip


@admin.register(GuideVersion)
class GuideVersionAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = VersionForm
    list_display = ["guide", "number", "status", "note", "published_at", "try_link"]
    list_filter = ["status", "guide"]
    actions = ["publish_selected", "copy_as_draft"]
    readonly_fields = ["number", "status", "created_by", "created_at", "published_by", "published_at"]

    @admin.display(description=gettext_lazy("试算"))
    def try_link(self, version):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:situation_guideversion_try", args=[version.pk]), _("试算")
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != GuideVersion.Status.DRAFT:
            return [*self.readonly_fields, "guide", "source", "note"]  # published rules never change
        if obj is not None:
            return [*self.readonly_fields, "guide"]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.status != GuideVersion.Status.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        guide_id = request.GET.get("guide")
        if guide_id and guide_id.isdigit():
            latest = GuideVersion.objects.filter(guide_id=int(guide_id)).order_by("-number").first()
            if latest is not None:
                initial["source"] = latest.source  # a new version starts from the last one
        return initial

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # A new version is numbered, checked and audited by the service (one at a time per guide).
        draft = services.new_draft(obj.guide, obj.source, actor=request.user, note=obj.note, request=request)
        obj.pk, obj.number, obj.created_by, obj.definition = draft.pk, draft.number, draft.created_by, draft.definition
        obj.created_at, obj.status = draft.created_at, draft.status
        obj._state.adding, obj._state.db = False, draft._state.db

    def get_urls(self):
        return [
            path("<int:pk>/try/", self.admin_site.admin_view(self.try_view), name="situation_guideversion_try"),
            path(
                "<int:pk>/publish/",
                self.admin_site.admin_view(self.publish_view),
                name="situation_guideversion_publish",
            ),
            *super().get_urls(),
        ]

    def try_view(self, request, pk: int):
        """试算: the version's questions with the live result (the page component), and every test case's result."""
        version = get_object_or_404(GuideVersion.objects.select_related("guide"), pk=pk)
        if not self.has_view_permission(request, version):
            raise PermissionDenied
        from . import rules
        from .views import guide_context

        embedded = guide_context(version, queries.answers_from(request.GET))
        context = {
            **self.admin_site.each_context(request),
            "title": _("试算：%(version)s") % {"version": version},
            "opts": self.model._meta,
            "version": version,
            "data": embedded["situation_data"],
            "questions": embedded["situation_questions"],
            "outcome": embedded["situation_outcome"],
            "chosen": embedded["situation_chosen"],
            "missing": embedded["situation_missing"],
            "help_text": rules.__doc__,
            "results": cases.run_all(version),
            "can_publish": version.status == GuideVersion.Status.DRAFT and self.has_change_permission(request, version),
        }
        return TemplateResponse(request, "admin/situation/try.html", context)

    def publish_view(self, request, pk: int):
        version = get_object_or_404(GuideVersion, pk=pk)
        if request.method != "POST" or not self.has_change_permission(request, version):
            raise PermissionDenied
        self._publish(request, version)
        return redirect("admin:situation_guideversion_try", version.pk)

    def _publish(self, request, version) -> bool:
        try:
            results = services.publish(version, actor=request.user, request=request)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return False
        messages.success(
            request,
            _("%(version)s 已发布（%(n)d 个测试用例全部通过）。") % {"version": version.guide, "n": len(results)},
        )
        return True

    @admin.action(description=gettext_lazy("发布（测试用例须全部通过）"))
    def publish_selected(self, request, queryset):
        for version in queryset:
            self._publish(request, version)

    @admin.action(description=gettext_lazy("复制为新草稿"))
    def copy_as_draft(self, request, queryset):
        for version in queryset:
            try:
                draft = services.new_draft(version.guide, version.source, actor=request.user, request=request,
                                           note=_("复制自 v%(n)d") % {"n": version.number})  # fmt: skip
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
            else:
                messages.success(request, _("已建立草稿 v%(n)d。") % {"n": draft.number})
