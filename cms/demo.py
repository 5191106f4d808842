"""Demo content for the public front: topics, the two index pages, about ten
policy guides and ten checklists (一纸清), written for this project. Called by
``seed_demo``; idempotent (pages are found by slug, topics by code)."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from approvals.models import ObstacleCategory
from enterprises.models import Industry

from .models import (
    ChecklistIndexPage,
    ChecklistPage,
    HomePage,
    PolicyGuidePage,
    PolicyIndexPage,
    Topic,
)

TOPICS = [
    ("kb", "企业开办"), ("gc", "工程建设"), ("xf", "消防安全"), ("yg", "用工社保"),
    ("kj", "科技创新"), ("cs", "财税金融"), ("hb", "生态环保"),
]


def m(name, form="original", copies=1, condition="", notes=""):
    return ("material", {"name": name, "form": form, "copies": copies,
                         "is_required": not condition, "condition": condition,
                         "notes": notes, "sample": None})


def qa(question, answer):
    return ("qa", {"question": question, "answer": answer})


# slug, title, department, legal days, promised days, fee, address, summary,
# topics, industries, categories, materials, faq
CHECKLISTS = [
    ("qykb", "企业开办（设立登记）一纸清", "区市场监督管理局", 3, 1, "不收费",
     "区政务服务中心一楼企业开办专区", "营业执照、公章刻制、发票申领、社保医保登记一窗受理、一日办结。",
     ["kb"], [], ["spxk-yyzz"],
     [m("公司登记（备案）申请书"), m("公司章程", notes="全体股东签字（盖章）"),
      m("股东主体资格证明", "copy", condition="股东为企业法人时提供营业执照复印件"),
      m("法定代表人、董事、监事、经理的任职文件"), m("住所使用证明", "copy"),
      m("委托代理人身份证明", "copy", condition="委托他人办理时")],
     [qa("可以全程网上办理吗？", "可以，通过浙江政务服务网“企业开办一件事”在线申请，电子营业执照即时下载。"),
      qa("公章刻制收费吗？", "首套公章由区财政买单，免费刻制。")]),
    ("sgxk", "建筑工程施工许可证核发一纸清", "区住房和城乡建设局", 7, 3, "不收费",
     "区政务服务中心二楼工程建设项目审批专区", "房屋建筑和市政基础设施工程开工前办理施工许可，实行告知承诺制。",
     ["gc"], ["E"], ["sgxk-sgxk", "sgxk"],
     [m("建筑工程施工许可证申请表"), m("建设工程规划许可证", "copy"),
      m("中标通知书或直接发包材料", "copy", condition="依法必须招标的项目提供中标通知书"),
      m("施工合同", "copy"), m("施工图设计文件审查合格书", "electronic"),
      m("建设资金已落实承诺书"), m("质量安全监督手续", "electronic")],
     [qa("用地批准手续还没拿到能先办吗？", "不能。施工许可须在取得用地批准手续、规划许可后办理。")]),
    ("xfys", "建设工程消防验收一纸清", "区住房和城乡建设局", 15, 10, "不收费",
     "区政务服务中心二楼工程建设项目审批专区", "特殊建设工程竣工后申请消防验收，验收合格方可投入使用。",
     ["gc", "xf"], ["E"], ["xf"],
     [m("特殊建设工程消防验收申请表"), m("工程竣工验收报告", "copy"),
      m("涉及消防的建设工程竣工图纸", "electronic"),
      m("消防设施检测报告", "original", condition="设有自动消防设施的工程")],
     [qa("哪些工程属于特殊建设工程？", "依照《建设工程消防设计审查验收管理暂行规定》第十四条确定，如总建筑面积大于两万平方米的体育场馆、会堂等。")]),
    ("xfba", "建设工程消防验收备案一纸清", "区住房和城乡建设局", 5, 3, "不收费",
     "区政务服务中心二楼工程建设项目审批专区", "其他建设工程竣工验收合格之日起五个工作日内办理消防验收备案。",
     ["gc", "xf"], ["E"], ["xf"],
     [m("建设工程消防验收备案表"), m("工程竣工验收报告", "copy"),
      m("涉及消防的建设工程竣工图纸", "electronic")],
     [qa("备案后会被抽查吗？", "会。住建部门按一定比例随机抽取检查，不合格的责令停止使用并整改。")]),
    ("wgfh", "失业保险稳岗返还申领一纸清", "区人力资源和社会保障局", 20, 10, "不收费",
     "区人力资源和社会保障局一楼社保窗口", "符合条件的参保企业免申即享，无需提交材料；未自动发放的可申请复核。",
     ["yg"], [], ["yg"],
     [m("稳岗返还复核申请表", condition="未收到返还资金且认为符合条件时"),
      m("企业银行账户信息", "copy", condition="账户变更时")],
     [qa("需要企业申请吗？", "不需要，系统比对后直接拨付到企业参保缴费账户。")]),
    ("sbbt", "吸纳就业社保补贴申领一纸清", "区人力资源和社会保障局", 20, 15, "不收费",
     "区人力资源和社会保障局一楼社保窗口", "企业招用就业困难人员或高校毕业生并缴纳社会保险的，可申领社会保险补贴。",
     ["yg"], [], ["yg"],
     [m("社会保险补贴申请表"), m("劳动合同", "copy"),
      m("就业困难人员认定证明", "copy", condition="招用就业困难人员时"),
      m("毕业证书", "copy", condition="招用高校毕业生时")],
     [qa("补贴期限多长？", "就业困难人员最长三年，高校毕业生最长一年。")]),
    ("zjtx", "专精特新中小企业认定申报一纸清", "区经济和信息化局", 30, 20, "不收费",
     "区经济和信息化局三楼中小企业科", "每年集中申报，经区级推荐、市级审核后认定。",
     ["kj"], ["C", "I"], ["zcdx"],
     [m("专精特新中小企业申请书", "electronic"), m("上年度财务审计报告", "copy"),
      m("知识产权证明材料", "copy"), m("研发费用专项审计报告", "copy",
                                    condition="研发费用占比作为申报指标时")],
     [qa("认定有效期多久？", "三年，期满需复核。")]),
    ("sts", "首台（套）装备认定及奖励申请一纸清", "区经济和信息化局", 30, 20, "不收费",
     "区经济和信息化局三楼装备产业科", "首台（套）装备经省级认定后，按销售额给予奖励。",
     ["kj", "cs"], ["C"], ["zcdx"],
     [m("首台（套）奖励申请表"), m("省级认定文件", "copy"), m("销售合同及发票", "copy"),
      m("用户使用证明")],
     []),
    ("hpba", "建设项目环境影响登记表备案一纸清", "区生态环境分局", 1, 1, "不收费",
     "网上办理", "填报环境影响登记表的项目在开工前完成网上备案，即时获取备案回执。",
     ["hb", "gc"], [], ["hp"],
     [m("建设项目环境影响登记表", "electronic")],
     [qa("哪些项目只需登记表？", "按《建设项目环境影响评价分类管理名录》确定。")]),
    ("nsxy", "纳税信用修复申请一纸清", "区税务局", 15, 5, "不收费",
     "区税务局办税服务厅", "纠正失信行为后可申请纳税信用修复，修复后重新评价。",
     ["cs"], [], ["sf"],
     [m("纳税信用修复申请表"), m("已纠正失信行为的说明", condition="需说明情况时")],
     []),
]

# slug, title, department, 文号, published, effective, expires, summary, eligibility,
# benefits, steps, topics, industries, categories, checklist slugs, featured
GUIDES = [
    ("qykb-yrbj", "企业开办“一日办结”政策指南", "区市场监督管理局", "区市监〔2025〕12号",
     date(2025, 3, 1), date(2025, 3, 1), None,
     "新开办企业在一个窗口、一个工作日内拿到营业执照、公章、发票和社保登记，首套公章免费。",
     "在本区登记注册的各类企业。", "一日办结；首套公章免费刻制；免费邮寄执照。",
     [("网上申报", "登录浙江政务服务网“企业开办一件事”填报。"), ("一窗领取", "到企业开办专区领取执照和公章。")],
     ["kb"], [], ["spxk-yyzz"], ["qykb"], True),
    ("sgxk-cnz", "工程建设项目施工许可告知承诺制办理指南", "区住房和城乡建设局", "区住建〔2025〕8号",
     date(2025, 4, 10), date(2025, 5, 1), None,
     "社会投资简易低风险项目可以承诺方式办理施工许可，材料不全的可容缺受理，当场发证。",
     "本区社会投资的简易低风险工程建设项目。", "当场发证；容缺受理；免费提供图审服务。",
     [("签署承诺书", "建设单位对承诺事项真实性负责。"), ("提交材料", "按一纸清提交材料。"), ("领取许可证", "符合条件的当场核发。")],
     ["gc"], ["E"], ["sgxk", "sgxk-sgxk"], ["sgxk"], True),
    ("xfysba", "建设工程消防验收备案办理指南", "区住房和城乡建设局", "区住建〔2025〕15号",
     date(2025, 6, 1), date(2025, 6, 1), None,
     "建设工程消防验收和消防验收备案怎么区分、什么时候办、要交哪些材料，一次讲清楚。",
     "在本区建设的各类建设工程的建设单位。", "验收备案网上办理，五个工作日内出具备案凭证。",
     [("判断类型", "对照规定判断属于特殊建设工程还是其他建设工程。"), ("竣工验收", "建设单位组织竣工验收。"), ("申请验收或备案", "特殊建设工程申请消防验收，其他工程办理备案。")],
     ["gc", "xf"], ["E"], ["xf"], ["xfys", "xfba"], True),
    ("wgfh-2026", "2026年失业保险稳岗返还政策指南", "区人力资源和社会保障局", "区人社〔2026〕21号",
     date(2026, 5, 20), date(2026, 1, 1), date(2026, 12, 31),
     "上年度未裁员或裁员率不高的参保企业，按上年度实际缴纳失业保险费的一定比例返还，免申即享。",
     "依法参加失业保险并足额缴费、上年度未裁员或裁员率不高于全国城镇调查失业率控制目标的企业。",
     "大型企业返还比例30%，中小微企业返还比例60%。",
     [("系统比对", "人社部门比对参保缴费数据。"), ("公示", "拟返还名单公示五个工作日。"), ("拨付", "资金直接拨付到企业账户。")],
     ["yg"], [], ["yg"], ["wgfh"], False),
    ("sbbt-xnjy", "吸纳就业社保补贴政策指南", "区人力资源和社会保障局", "区人社〔2025〕9号",
     date(2025, 2, 15), date(2025, 1, 1), date(2027, 12, 31),
     "企业招用就业困难人员、高校毕业生并为其缴纳社保的，可以申领社保补贴，按月补贴企业缴费部分。",
     "招用就业困难人员或离校两年内高校毕业生，签订一年以上劳动合同并缴纳社会保险的企业。",
     "按企业实际缴纳的养老、医疗、失业保险费给予补贴。",
     [("网上申请", "通过人社服务平台提交申请。"), ("审核", "人社部门二十个工作日内审核。"), ("拨付", "审核通过后按季度拨付。")],
     ["yg"], [], ["yg"], ["sbbt"], True),
    ("zjtx-rd", "专精特新中小企业认定和奖励政策指南", "区经济和信息化局", "区经信〔2025〕5号",
     date(2025, 3, 18), date(2025, 3, 18), date(2028, 3, 17),
     "专注细分市场、创新能力强的中小企业可申报专精特新认定，认定后给予一次性奖励。",
     "在本区注册、从事特定细分市场两年以上的中小企业。", "首次认定为市级专精特新中小企业的奖励二十万元。",
     [("企业自评", "对照评价指标自评。"), ("网上申报", "在优质中小企业梯度培育平台申报。"), ("推荐认定", "区级推荐、市级审核认定。")],
     ["kj"], ["C", "I"], ["zcdx"], ["zjtx"], True),
    ("sts-jl", "首台（套）装备奖励政策指南", "区经济和信息化局", "区经信〔2024〕18号",
     date(2024, 9, 1), date(2024, 9, 1), date(2027, 8, 31),
     "企业研制的首台（套）装备通过省级认定并实现销售的，按销售额给予奖励，单个产品最高一百万元。",
     "在本区注册的装备制造企业。", "按首台（套）产品销售额的百分之十给予奖励。",
     [("省级认定", "先取得省级首台（套）认定。"), ("申请奖励", "提交奖励申请材料。")],
     ["kj", "cs"], ["C"], ["zcdx"], ["sts"], False),
    ("hpba-mz", "建设项目环评登记表备案豁免指南", "区生态环境分局", "区环〔2025〕3号",
     date(2025, 1, 10), date(2025, 1, 10), None,
     "部分环境影响很小的建设项目无需办理环评手续，登记表项目网上备案即可。",
     "列入豁免清单或填报登记表的建设项目。", "环评手续即时办结，不再审批。",
     [("对照名录", "查询项目所属类别。"), ("网上备案", "在备案系统填报登记表。")],
     ["hb"], [], ["hp"], ["hpba"], False),
    ("nsxy-xf", "纳税信用修复政策指南", "区税务局", "区税〔2025〕2号",
     date(2025, 4, 1), date(2025, 4, 1), None,
     "纳税人纠正失信行为后，可以向税务机关申请纳税信用修复。",
     "已纠正纳税失信行为、履行相应法律义务的纳税人。", "修复后重新评价纳税信用级别。",
     [("纠正失信行为", "补缴税款、滞纳金和罚款。"), ("申请修复", "提交纳税信用修复申请表。")],
     ["cs"], [], ["sf"], ["nsxy"], False),
    ("wgfh-2023", "2023年失业保险稳岗返还政策指南", "区人力资源和社会保障局", "区人社〔2023〕30号",
     date(2023, 5, 1), date(2023, 1, 1), date(2023, 12, 31),
     "2023年度稳岗返还政策，已由2026年度政策替代，仅供查阅。",
     "2022年度参保企业。", "中小微企业返还比例60%。",
     [], ["yg"], [], ["yg"], [], False),
]


def _publish(parent, page, *, slug: str):
    """Add ``page`` under ``parent`` unless a page with that slug is there, and
    publish it (demo content skips the moderation workflow)."""
    existing = parent.get_children().filter(slug=slug).first()
    if existing:
        return existing.specific
    page.slug = slug
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def _classify(page, topics, industries, categories):
    page.topics.set(Topic.objects.filter(code__in=topics))
    page.industries.set(Industry.objects.filter(code__in=industries))
    page.categories.set(ObstacleCategory.objects.filter(code__in=categories))
    page.save_revision().publish()


@transaction.atomic
def seed_cms_demo() -> dict[str, int]:
    """Create the demo guides and checklists; returns how many of each exist."""
    home = HomePage.objects.get()
    for order, (code, name) in enumerate(TOPICS):
        Topic.objects.update_or_create(code=code, defaults={"name": name, "sort_order": order})
    policies = _publish(home, PolicyIndexPage(title="政策指南",
                        intro="<p>惠企政策看得懂、找得到：谁能享受、能得到什么、怎么申请。</p>"),
                        slug="policies")
    checklist_index = _publish(home, ChecklistIndexPage(
        title="一纸清", intro="<p>办一件事要交哪些材料，一张纸告诉您，材料一次告知。</p>"),
        slug="checklists")
    checklists = {}
    for (slug, title, dept, legal, promised, fee, address, summary, topics, industries,
         categories, materials, faq) in CHECKLISTS:
        is_new = not checklist_index.get_children().filter(slug=slug).exists()
        page = _publish(checklist_index, ChecklistPage(
            title=title, department=dept, legal_limit_days=legal,
            promised_limit_days=promised, fee=fee, apply_address=address, summary=summary,
            online_url="https://www.zjzwfw.gov.cn/", materials=materials, faq=faq,
        ), slug=slug)
        if is_new:
            _classify(page, topics, industries, categories)
        checklists[slug] = page
    for (slug, title, dept, number, published, effective, expires, summary, eligibility,
         benefits, steps, topics, industries, categories, checklist_slugs,
         featured) in GUIDES:
        is_new = not policies.get_children().filter(slug=slug).exists()
        page = _publish(policies, PolicyGuidePage(
            title=title, department=dept, document_number=number, published_on=published,
            effective_on=effective, expires_on=expires, summary=summary,
            eligibility=f"<p>{eligibility}</p>", benefits=f"<p>{benefits}</p>",
            steps=[("step", {"heading": h, "text": t}) for h, t in steps],
            contact_department=dept, contact_phone="0571-12345678",
            contact_address="区政务服务中心", is_featured=featured,
        ), slug=slug)
        if is_new:
            page.checklists.set([checklists[s] for s in checklist_slugs])
            _classify(page, topics, industries, categories)
    return {"guides": PolicyGuidePage.objects.count(),
            "checklists": ChecklistPage.objects.count()}
