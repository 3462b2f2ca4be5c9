import io

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yichuang.core.admin import AuditedAdminMixin, SearchTermMixin

from .exchange import CONTENT_TYPES, FORMATS, SUFFIXES, CatalogueImportError, export_catalogue, import_catalogue
from .models import Bundle, BundleItem, LifeEvent, Material, Matter, MatterMaterial, Synonym

# Import and export of the whole catalogue (实施清单) need the right to change it; import also adds and
# replaces rows (a matter's materials, a bundle's matters).
EXPORT_PERMISSIONS = [
    f"catalogue.change_{model}" for model in ("lifeevent", "material", "matter", "bundle", "synonym")
]
IMPORT_PERMISSIONS = [
    *EXPORT_PERMISSIONS,
    *(f"catalogue.add_{model}" for model in ("lifeevent", "material", "matter", "bundle", "synonym")),
    *(
        f"catalogue.{verb}_{model}"
        for model in ("mattermaterial", "bundleitem")
        for verb in ("add", "change", "delete")
    ),
]
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class CatalogueImportForm(forms.Form):
    file = forms.FileField(
        label=_("实施清单文件"), help_text=_("由“导出实施清单”得到的 .xlsx 或 .yaml 文件，最大 10 MB。")
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        suffix = "." + upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
        if suffix not in SUFFIXES:
            raise forms.ValidationError(_("请上传 .xlsx、.yaml 或 .yml 文件。"))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("文件超过 10 MB。"))
        return upload


class MatterMaterialInline(admin.TabularInline):
    model = MatterMaterial
    extra = 0
    autocomplete_fields = ["material"]
    fields = ["order", "material", "required", "core", "originals", "copies", "deferrable", "pledgeable", "notes",
              "blank_form", "sample"]


@admin.register(Matter)
class MatterAdmin(SearchTermMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "department", "kind", "limit_unit", "promised_limit", "legal_limit", "status"]
    list_filter = ["status", "kind", "limit_unit", "department", "zones", "online", "delegated"]
    search_fields = ["code", "name", "keywords", "implementation_code", "basic_code"]
    filter_horizontal = ["zones", "life_events"]
    inlines = [MatterMaterialInline]
    change_list_template = "admin/catalogue/matter/change_list.html"

    def get_urls(self):
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("exchange/", self.admin_site.admin_view(self.exchange_view), name=f"{info}_exchange"),
            path(
                "exchange/export/<str:fmt>/",
                self.admin_site.admin_view(self.export_view),
                name=f"{info}_export",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_import_catalogue": request.user.has_perms(IMPORT_PERMISSIONS),
            "can_export_catalogue": request.user.has_perms(EXPORT_PERMISSIONS),
        }
        return super().changelist_view(request, extra_context)

    def exchange_view(self, request):
        """Upload a catalogue file: the problems in a table, or what was created/updated/unchanged."""
        if not request.user.has_perms(IMPORT_PERMISSIONS):
            raise PermissionDenied
        report = problems = None
        if request.method == "POST":
            form = CatalogueImportForm(request.POST, request.FILES)
            if form.is_valid():
                try:
                    report = import_catalogue(form.cleaned_data["file"], actor=request.user, request=request)
                except CatalogueImportError as exc:
                    problems = exc.problems
                else:
                    form = CatalogueImportForm()
        else:
            form = CatalogueImportForm()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("导入实施清单"),
            "form": form,
            "report": report,
            "problems": problems,
            "uploaded_name": request.FILES["file"].name if problems is not None else "",
            "formats": FORMATS,
        }
        return TemplateResponse(request, "admin/catalogue/matter/exchange.html", context)

    def export_view(self, request, fmt):
        if not request.user.has_perms(EXPORT_PERMISSIONS):
            raise PermissionDenied
        if fmt not in FORMATS:
            raise Http404
        out = io.BytesIO()
        export_catalogue(out, fmt)
        response = HttpResponse(out.getvalue(), content_type=CONTENT_TYPES[fmt])
        filename = f"catalogue-{timezone.localdate():%Y%m%d}.{fmt}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


@admin.register(Material)
class MaterialAdmin(SearchTermMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "issuer"]
    search_fields = ["code", "name"]


class BundleItemInline(admin.TabularInline):
    model = BundleItem
    extra = 0
    autocomplete_fields = ["matter"]


@admin.register(Bundle)
class BundleAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "zone", "limit_unit", "limit", "status"]
    inlines = [BundleItemInline]


@admin.register(LifeEvent)
class LifeEventAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "audience", "order"]


@admin.register(Synonym)
class SynonymAdmin(SearchTermMixin, AuditedAdminMixin, admin.ModelAdmin):
    """检索同义词: everyday phrases the guide's search understands. Read by every query: a change applies at once."""

    list_display = ["phrase", "words", "updated_at"]
    search_fields = ["phrase", "words"]
    fields = ["phrase", "words"]
