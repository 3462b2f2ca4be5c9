"""政策业务信息库 pages: staff list and search, an article, the editors' drafts, the hall admins' review queue, the
history with its diff, the searches' statistics, and the public article page.

Thin: every change goes through `knowledge.services`; a service's ValidationError is shown at its field (the page
answers 200 with the form again); a step the user may not take is a 403; an article the user may not read is a
404 (an internal article does not exist for an anonymous reader).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from yichuang.core import once
from yichuang.organisation.models import Department

from . import queries, services
from .forms import ArticleForm, FileForm, PublishForm, ReturnForm, ReviewDateForm, VersionForm, apply_errors
from .models import Article, ArticleFile, ArticleVersion, SearchLog

Status = ArticleVersion.Status


def _ensure_staff(user) -> None:
    if not queries.sees_internal(user):
        raise PermissionDenied(_("政策业务信息库仅供大厅工作人员使用。"))


def _article_or_404(user, pk: int) -> Article:
    article = queries.article_with_stale(pk)
    if article is None or not (queries.readable(user, article) or queries.sees_drafts(user, article)):
        raise Http404(_("没有这篇文章。"))
    return article


def _version_or_404(user, pk: int) -> ArticleVersion:
    version = get_object_or_404(ArticleVersion.objects.select_related("article__department", "author"), pk=pk)
    if not queries.sees_drafts(user, version.article):
        if version.status == Status.PUBLISHED and queries.readable(user, version.article):
            return version
        raise Http404(_("没有这个版本。"))
    return version


def _nav(user) -> dict:
    return {
        "is_editor": services.is_editor(user),
        "is_reviewer": services.may_review(user),
        "queue_size": queries.review_queue().count() if services.may_review(user) else 0,
    }


@login_required
@never_cache
def index(request):
    """Staff: search over public and internal articles; editors also see their department's work."""
    _ensure_staff(request.user)
    q = (request.GET.get("q") or "").replace("\x00", "")[:64].strip()
    departments = list(Department.objects.filter(articles__isnull=False).distinct().order_by("name"))
    try:
        department = int(request.GET.get("department") or 0) or None
    except ValueError:
        department = None
    if q:
        results = queries.search(q, public_only=False, department=department, limit=50, source=SearchLog.Source.STAFF)
    else:
        results = queries.latest_published(public_only=False, department=department)
    work = None
    if services.is_editor(request.user):
        work = list(queries.department_work(request.user.department_id)[:100])
        labels = dict(Status.choices)
        for item in work:
            item.latest_status_label = labels.get(item.latest_status, "")
    return render(
        request,
        "knowledge/index.html",
        {
            "q": q,
            "results": results,
            "departments": departments,
            "department": department,
            "work": work,
            **_nav(request.user),
        },
    )


@login_required
@never_cache
def article(request, pk: int):
    _ensure_staff(request.user)
    item = _article_or_404(request.user, pk)
    sees_drafts = queries.sees_drafts(request.user, item)
    may_edit = services.may_edit(request.user, item.department_id)
    return render(
        request,
        "knowledge/article.html",
        {
            "article": item,
            "version": item.published,
            "files": list(item.published.files.all()) if item.published_id else [],
            "open_version": services.open_version(item) if sees_drafts else None,
            "may_edit": may_edit,
            "may_withdraw": (may_edit or services.may_review(request.user)) and item.withdrawn_at is None,
            "review_form": ReviewDateForm(initial={"review_by": item.review_by})
            if may_edit or services.may_review(request.user)
            else None,
            "published_count": queries.published_versions(item).count(),
            **_nav(request.user),
        },
    )


@login_required
@never_cache
@once.form
def new(request):
    user = request.user
    if not services.is_editor(user):
        raise PermissionDenied(_("只有部门的后台审批人员或部门负责人可以编写文章。"))
    form = ArticleForm(
        request.POST or None, department_id=user.department_id, initial={"visibility": Article.Visibility.PUBLIC}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.create_article(
                user,
                department=user.department_id,
                title=data["title"],
                body=data["body"],
                kind=data["kind"],
                visibility=data["visibility"],
                legal_basis=data["legal_basis"],
                matters=list(data["matters"]),
                review_by=data["review_by"],
                request=request,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("草稿已保存，可继续修改、上传附件，然后提交审核。"))
            return redirect("knowledge:version", created.versions.get().pk)
    return render(request, "knowledge/new.html", {"form": form, **_nav(user)})


def _version_page(request, version: ArticleVersion, *, status: int = 200, **forms):
    user = request.user
    article = version.article
    editable = services.may_edit(user, article.department_id) and version.status in (Status.DRAFT, Status.RETURNED)
    reviewable = services.may_review(user) and version.status == Status.SUBMITTED and version.author_id != user.pk
    context = {
        "version": version,
        "article": article,
        "files": list(version.files.all()),
        "editable": editable,
        "reviewable": reviewable,
        "own_version": services.may_review(user) and version.author_id == user.pk,
        "form": forms.get("form")
        or (
            VersionForm(
                initial={
                    "title": version.title,
                    "visibility": version.visibility,
                    "legal_basis": version.legal_basis,
                    "body": version.body,
                }
            )
            if editable
            else None
        ),
        "file_form": forms.get("file_form") or (FileForm() if editable else None),
        "publish_form": forms.get("publish_form") or (PublishForm() if reviewable else None),
        "return_form": forms.get("return_form") or (ReturnForm() if reviewable else None),
        "diff": queries.version_diff(article.published, version)
        if article.published_id and article.published_id != version.pk
        else None,
        **_nav(user),
    }
    return render(request, "knowledge/version.html", context, status=status)


@login_required
@never_cache
def version(request, pk: int):
    _ensure_staff(request.user)
    found = _version_or_404(request.user, pk)
    if request.method == "POST":
        form = VersionForm(request.POST)
        if form.is_valid():
            try:
                services.edit_draft(request.user, found, **form.cleaned_data, request=request)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("草稿已保存。"))
                return redirect("knowledge:version", found.pk)
        return _version_page(request, found, form=form)
    return _version_page(request, found)


@login_required
@require_POST
def new_draft(request, pk: int):
    _ensure_staff(request.user)
    item = _article_or_404(request.user, pk)
    draft = services.new_draft(request.user, item, request=request)
    return redirect("knowledge:version", draft.pk)


@login_required
@require_POST
def upload(request, pk: int):
    found = _version_or_404(request.user, pk)
    form = FileForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_file(request.user, found, form.cleaned_data["file"], request=request)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("附件已上传。"))
            return redirect("knowledge:version", found.pk)
    return _version_page(request, found, file_form=form)


@login_required
@require_POST
def remove_file(request, pk: int):
    attached = get_object_or_404(ArticleFile.objects.select_related("version__article"), pk=pk)
    found = _version_or_404(request.user, attached.version_id)
    try:
        services.remove_file(request.user, attached, request=request)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    return redirect("knowledge:version", found.pk)


def _simple_step(request, pk: int, call, done: str):
    found = _version_or_404(request.user, pk)
    try:
        call(found)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, done)
    return redirect("knowledge:version", found.pk)


@login_required
@require_POST
def submit(request, pk: int):
    return _simple_step(
        request, pk, lambda v: services.submit(request.user, v, request=request), _("已提交大厅管理员审核。")
    )


@login_required
@require_POST
def publish(request, pk: int):
    found = _version_or_404(request.user, pk)
    form = PublishForm(request.POST)
    if form.is_valid():
        try:
            services.publish(request.user, found, **form.cleaned_data, request=request)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已发布第 %(n)d 版。") % {"n": found.number})
            return redirect("knowledge:article", found.article_id)
    return _version_page(request, found, publish_form=form)


@login_required
@require_POST
def return_version(request, pk: int):
    found = _version_or_404(request.user, pk)
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            services.return_version(request.user, found, form.cleaned_data["note"], request=request)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已退回修改。"))
            return redirect("knowledge:review")
    return _version_page(request, found, return_form=form)


@login_required
@require_POST
def withdraw(request, pk: int):
    _ensure_staff(request.user)
    item = _article_or_404(request.user, pk)
    services.withdraw(request.user, item, request=request)
    messages.success(request, _("文章已撤下。"))
    return redirect("knowledge:article", item.pk)


@login_required
@require_POST
def review_date(request, pk: int):
    _ensure_staff(request.user)
    item = _article_or_404(request.user, pk)
    form = ReviewDateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("日期无效。"))
    else:
        try:
            services.set_review_date(request.user, item, form.cleaned_data["review_by"], request=request)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(request, _("复核日期已更新。"))
    return redirect("knowledge:article", item.pk)


@login_required
@never_cache
def review(request):
    if not services.may_review(request.user):
        raise PermissionDenied(_("只有大厅管理员可以审核文章。"))
    return render(request, "knowledge/review.html", {"versions": list(queries.review_queue()), **_nav(request.user)})


@login_required
@never_cache
def history(request, pk: int):
    _ensure_staff(request.user)
    item = _article_or_404(request.user, pk)
    versions = list(queries.published_versions(item).select_related("author", "reviewer"))
    by_number = {v.number: v for v in versions}

    def pick(name: str, default):
        try:
            return by_number.get(int(request.GET.get(name, "")), default)
        except ValueError:
            return default

    new_v = pick("b", versions[0] if versions else None)
    old_v = pick("a", versions[1] if len(versions) > 1 else None)
    diff = queries.version_diff(old_v, new_v) if old_v and new_v and old_v.pk != new_v.pk else None
    return render(
        request,
        "knowledge/history.html",
        {"article": item, "versions": versions, "old": old_v, "new": new_v, "diff": diff, **_nav(request.user)},
    )


@login_required
@never_cache
def searches(request):
    if not (services.is_editor(request.user) or services.may_review(request.user)):
        raise PermissionDenied(_("检索统计仅供部门编辑和大厅管理员查看。"))
    return render(request, "knowledge/searches.html", {"stats": queries.search_stats(), **_nav(request.user)})


def public(request, pk: int):
    """The public page of a published article: 404 for an internal, unpublished or withdrawn one (staff read
    internal articles on their own pages)."""
    item = queries.article_with_stale(pk)
    if (
        item is None
        or item.published_id is None
        or item.withdrawn_at is not None
        or (item.visibility != Article.Visibility.PUBLIC and not queries.sees_internal(request.user))
    ):
        raise Http404(_("没有这篇文章。"))
    return render(
        request,
        "knowledge/public.html",
        {"article": item, "version": item.published, "files": list(item.published.files.all())},
    )


def download(request, pk: int):
    """A file, only through this view: internal and draft files never reach anyone who may not read them."""
    attached = get_object_or_404(ArticleFile.objects.select_related("version__article"), pk=pk)
    if not queries.file_readable(request.user, attached):
        raise Http404(_("没有这个文件。"))
    try:
        handle = attached.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404(_("文件已不在存储中。")) from None
    response = FileResponse(handle, as_attachment=True, filename=attached.name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
