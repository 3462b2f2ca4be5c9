"""The demo hall's knowledge base: a few articles per department — policy, Q&A, the procedure, a sample filled
form — written by the department's officer and published by the hall admin through the services, as in real
use. Some are internal (仅内部); one is past its review date (待更新). Loading twice adds nothing: an article is
known by its department and first title."""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from yichuang.catalogue.models import Matter
from yichuang.organisation.models import Department, User

from . import services
from .models import Article, ArticleVersion

# A one-page PDF: the sample form's stand-in (the real one is the department's scanned filled form).
SAMPLE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)

# (department code, editor username, kind, visibility, matter codes, title, legal basis, body, sample form,
#  stale)
ARTICLES = [
    (
        "market", "officer_market", "qa", "public", ["411624-XK-SCJG-001"],
        "企业开办常见问题", "《中华人民共和国市场主体登记管理条例》",
        "问：开办企业要跑几次？\n答：材料齐全的，一次都不用跑（网上办）或最多跑一次；营业执照、公章、发票和社保登记"
        "在综合受理窗口一次提交，一个工作日内办结。\n\n问：注册资本要实缴吗？\n答：有限责任公司股东认缴的出资额"
        "应自公司成立之日起五年内缴足，登记时不需要验资证明。\n\n问：住所没有房产证怎么办？\n答：可提交住所（经营场所）"
        "申报承诺，由村（居）委会或园区管委会出具使用证明。",
        False, False,
    ),
    (
        "market", "officer_market", "sample", "public", ["411624-XK-SCJG-004"],
        "个体工商户登记申请书填报样表", "",
        "个体工商户设立登记申请书的填写示例：经营者姓名与身份证件一致；经营范围按《国民经济行业分类》规范表述；"
        "组成形式选择“个人经营”或“家庭经营”；家庭经营的须列明参加经营的家庭成员。",
        True, False,
    ),
    (
        "market", "officer_market", "policy", "internal", ["411624-XK-SCJG-005"],
        "食品经营许可现场核查口径（内部）", "《食品经营许可和备案管理办法》",
        "仅销售预包装食品的，实行备案管理，不再发放许可证。\n小餐饮店面积在 50 平方米以下、无专间的，"
        "可告知承诺后当场发证，后续 20 个工作日内现场核查。核查发现与承诺不符的，依法撤销许可。",
        False, False,
    ),
    (
        "tax", "officer_tax", "procedure", "public", ["411624-QT-SW-001"],
        "新办纳税人首次申领发票流程", "《中华人民共和国发票管理办法》",
        "1. 完成税务信息确认（新办企业“套餐式”服务，开办时已同步完成）；\n2. 在电子税务局或窗口申请税控设备或"
        "数电发票用票额度；\n3. 办税员实名认证；\n4. 领用发票或直接开具数电发票。\n首次申领增值税发票的，"
        "税务机关自受理之日起 2 个工作日内办结。",
        False, False,
    ),
    (
        "tax", "officer_tax", "qa", "public", ["411624-QT-SW-006"],
        "注销税务登记（清税）问答", "",
        "问：未办理过涉税事宜的纳税人可以即办注销吗？\n答：可以。未领用发票、无欠税（滞纳金）及罚款的纳税人，"
        "主动提出注销的，可免予到税务机关办理清税证明，直接向市场监管部门申请办理注销登记。",
        False, True,
    ),
    (
        "housing_fund", "officer_housing_fund", "qa", "public",
        ["411624-GG-GJJ-002", "411624-GG-GJJ-003"],
        "住房公积金提取常见问题", "《住房公积金管理条例》第二十四条",
        "问：租房提取每年能提多少？\n答：无自有住房且租赁住房的，每年可提取一次，额度按本县租房提取限额执行。\n\n"
        "问：购房提取要带哪些材料？\n答：身份证、购房合同或不动产权证书、购房发票；贷款购房的另带借款合同。"
        "材料齐全的当场办结，资金 1 个工作日内到账。",
        False, False,
    ),
    (
        "housing_fund", "officer_housing_fund", "policy", "internal", ["411624-GG-GJJ-005"],
        "公积金贷款额度计算口径（内部）", "县住房公积金管理委员会决议",
        "贷款额度取以下最低值：最高贷款额度、按还款能力计算的额度、按房价计算的额度、按账户余额倍数计算的额度。"
        "账户余额倍数按 15 倍计算；夫妻双方缴存的，余额合并计算。",
        False, False,
    ),
    (
        "natural_resources", "officer_natural_resources", "requirements", "public",
        ["411624-QR-ZRZY-003"],
        "存量房（二手房）转移登记办事要件", "《不动产登记暂行条例实施细则》第三十八条",
        "1. 不动产登记申请书；\n2. 买卖双方身份证明；\n3. 不动产权属证书；\n4. 存量房买卖合同；\n5. 完税凭证"
        "（与税务窗口联办的，由系统推送，无需提交）。\n买卖双方须同时到场，或委托代理人持公证的授权委托书办理。",
        False, False,
    ),
    (
        "natural_resources", "officer_natural_resources", "qa", "public", ["411624-QR-ZRZY-004"],
        "不动产抵押登记问答", "",
        "问：银行贷款抵押登记要多久？\n答：与银行“总对总”线上办理的，抵押登记 1 个工作日内办结，电子证明推送银行，"
        "申请人不用到现场。",
        False, False,
    ),
    (
        "police", "officer_police", "qa", "public", ["411624-QR-GA-002"],
        "身份证丢了怎么办", "《中华人民共和国居民身份证法》",
        "身份证丢失的，本人到户籍所在地或全国任一公安机关户政窗口申请补领，现场采集照片和指纹。"
        "急需乘车、办事的，可同时申领临时居民身份证，一般当场发放。跨省补领的，60 日内办结。",
        False, False,
    ),
    (
        "police", "officer_police", "procedure", "internal", ["411624-GG-GA-010"],
        "无犯罪记录证明开具的内部核查流程", "",
        "窗口受理后，经办人在内部系统查询违法犯罪记录；本地无记录的，当场出具；有记录或系统提示异常的，"
        "转法制部门核查，3 个工作日内答复。不得向申请人说明查询系统的具体内容。",
        False, False,
    ),
    (
        "hrss", "officer_hrss", "qa", "public", ["411624-GF-RS-002"],
        "失业保险金申领问答", "《失业保险条例》第十四条",
        "问：领取失业保险金的条件？\n答：失业前用人单位和本人已缴纳失业保险费满一年、非因本人意愿中断就业、"
        "已办理失业登记并有求职要求。\n\n问：每月能领多少？\n答：按本县最低工资标准的 90% 发放。",
        False, False,
    ),
]  # fmt: skip


def load_articles() -> str:
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        return "知识库：演示账号不全，未装入文章"
    departments = {d.code: d for d in Department.objects.all()}
    created = skipped = 0
    for code, editor_name, kind, visibility, matter_codes, title, basis, body, sample, stale in ARTICLES:
        department = departments.get(code)
        editor = User.objects.filter(username=editor_name).first()
        if department is None or editor is None:
            skipped += 1
            continue
        if ArticleVersion.objects.filter(article__department=department, number=1, title=title).exists():
            continue  # loaded before
        matters = list(Matter.objects.filter(code__in=matter_codes, department=department))
        article = services.create_article(
            editor, department=department, title=title, body=body, kind=kind, visibility=visibility,
            legal_basis=basis, matters=matters,
        )  # fmt: skip
        version = article.versions.get()
        if sample:
            services.add_file(editor, version, SimpleUploadedFile(f"{title}.pdf", SAMPLE_PDF, "application/pdf"))
        services.submit(editor, version)
        services.publish(admin, version, note="演示数据：审核通过")
        if stale:
            services.set_review_date(admin, article, timezone.localdate() - dt.timedelta(days=30))
        created += 1
    total = Article.objects.filter(published__isnull=False).count()
    internal = Article.objects.filter(published__isnull=False, visibility=Article.Visibility.INTERNAL).count()
    note = f"，{skipped} 篇因缺少部门或账号未装入" if skipped else ""
    return f"知识库：新增 {created} 篇，共 {total} 篇已发布（其中仅内部 {internal} 篇）{note}"
