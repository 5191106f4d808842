"""Demo data for a typical district: departments, teams, categories, about 200
enterprises, one user per role, and obstacles in every state and colour.

Idempotent: a second run finds everything by its natural key and changes no
counts. Obstacles move through the real service functions, so their events are
what the desk itself would have written.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from approvals import services
from approvals.calendar import add_working_days
from approvals.choices import Channel, DepartmentKind, RejectReason, Role, TaskState, Urgency
from approvals.models import Department, Obstacle, ObstacleCategory, Profile, Task
from cms.demo import seed_cms_demo
from enterprises.choices import Scale
from enterprises.models import (
    Contact,
    Enterprise,
    Industry,
    Liaison,
    Licence,
    Street,
)
from enterprises.services import membership_add
from enterprises.validators import generate_credit_code
from visits.models import ServiceTeam

DIVISION = "330106"  # the demo district's GB/T 2260 code

STREETS = [
    ("330106001", "北山街道"), ("330106002", "西溪街道"), ("330106003", "灵隐街道"),
    ("330106004", "翠苑街道"), ("330106005", "文新街道"), ("330106006", "古荡街道"),
    ("330106007", "转塘街道"), ("330106008", "留下街道"), ("330106009", "蒋村街道"),
    ("330106100", "三墩镇"), ("330106101", "双浦镇"),
]

DEPARTMENTS = [
    # code, name, kind, office phone
    ("yshj", "区营商环境建设办公室", DepartmentKind.OFFICE, "0571-87001000"),
    ("scjg", "区市场监督管理局", DepartmentKind.GOVERNMENT, "0571-87001100"),
    ("zrzy", "区自然资源和规划局", DepartmentKind.GOVERNMENT, "0571-87001200"),
    ("zjj", "区住房和城乡建设局", DepartmentKind.GOVERNMENT, "0571-87001300"),
    ("sthj", "区生态环境分局", DepartmentKind.GOVERNMENT, "0571-87001400"),
    ("sw", "区税务局", DepartmentKind.GOVERNMENT, "0571-87001500"),
    ("rsj", "区人力资源和社会保障局", DepartmentKind.GOVERNMENT, "0571-87001600"),
    ("fgj", "区发展和改革局", DepartmentKind.GOVERNMENT, "0571-87001700"),
    ("jxj", "区经济和信息化局", DepartmentKind.GOVERNMENT, "0571-87001800"),
    ("jrb", "区金融服务中心", DepartmentKind.GOVERNMENT, "0571-87001900"),
    ("xf", "区消防救援大队", DepartmentKind.GOVERNMENT, "0571-87002000"),
    ("gd", "国网供电公司", DepartmentKind.UTILITY, "95598"),
    ("gs", "区供水有限公司", DepartmentKind.UTILITY, "0571-87002200"),
    ("rq", "区燃气有限公司", DepartmentKind.UTILITY, "0571-87002300"),
    ("zwfw", "区政务服务中心", DepartmentKind.GOVERNMENT, "0571-87002400"),
    ("xxjd", "西溪街道办事处", DepartmentKind.STREET, "0571-87003100"),
    ("sdz", "三墩镇人民政府", DepartmentKind.STREET, "0571-87003200"),
]

# parent (code, name, department, normal days, urgent days) -> children
CATEGORIES = [
    (("spxk", "审批许可", "zwfw", 10, 3), [
        ("spxk-yyzz", "营业执照与变更登记", "scjg", 5, 2),
        ("spxk-xkz", "行业经营许可", "scjg", 10, 3),
    ]),
    (("ghyd", "规划用地", "zrzy", 15, 5), [
        ("ghyd-gh", "规划条件与方案审查", "zrzy", 15, 5),
        ("ghyd-td", "土地供应与不动产登记", "zrzy", 15, 5),
    ]),
    (("sgxk", "施工许可", "zjj", 10, 3), [
        ("sgxk-sgxk", "施工许可证办理", "zjj", 10, 3),
        ("sgxk-ys", "竣工验收与联合验收", "zjj", 10, 3),
    ]),
    (("sdqn", "水电气暖接入", "gd", 10, 3), [
        ("sdqn-dian", "用电报装", "gd", 8, 3),
        ("sdqn-shui", "用水报装", "gs", 8, 3),
        ("sdqn-qi", "燃气报装", "rq", 10, 3),
    ]),
    (("xf", "消防", "xf", 10, 3), []),
    (("hp", "环评", "sthj", 15, 5), []),
    (("rz", "融资", "jrb", 10, 3), []),
    (("yg", "用工社保", "rsj", 10, 3), []),
    (("sf", "税费", "sw", 7, 2), []),
    (("zcdx", "政策兑现", "jxj", 15, 5), []),
    (("sczr", "市场准入", "fgj", 10, 3), []),
    (("qt", "其他", "yshj", 10, 3), []),
]

NAME_PREFIX = ["杭州", "浙江", "西湖"]
NAME_CORE = [
    "恒润", "华鼎", "嘉禾", "锦程", "聚源", "凯达", "蓝海", "立信", "绿源", "明德", "鹏程",
    "启航", "瑞丰", "盛世", "天成", "万邦", "鑫达", "新科", "亚泰", "远景", "云帆", "兆丰",
    "智汇", "中元", "宏图", "金石", "博远", "创新", "东方", "海纳", "和信", "卓越", "星辰",
    "宇航", "银河", "昌隆", "德胜", "福瑞", "光华", "惠民",
]
NAME_TRADE = {
    "C": ["精密机械", "新材料", "电子科技", "智能装备", "生物医药", "食品"],
    "E": ["建设工程", "建筑装饰", "市政工程"],
    "F": ["商贸", "供应链管理", "医疗器械销售"],
    "G": ["物流", "运输"],
    "H": ["餐饮管理", "酒店管理"],
    "I": ["网络科技", "软件技术", "信息技术", "数据服务"],
    "J": ["融资租赁", "投资管理"],
    "K": ["置业", "物业服务"],
    "L": ["企业管理咨询", "人力资源服务"],
    "M": ["检测技术", "环保科技", "设计研究"],
    "Q": ["健康管理", "康复医疗"],
    "R": ["文化传媒", "体育发展"],
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = ["伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明",
         "超", "秀英", "建华", "国强", "海燕", "志刚", "丽华", "晓东", "文博", "雨桐"]
LICENCES = [("食品经营许可证", "区市场监督管理局"), ("排污许可证", "区生态环境分局"),
            ("建筑业企业资质证书", "区住房和城乡建设局"), ("消防安全检查合格证", "区消防救援大队"),
            ("高新技术企业证书", "省科学技术厅"), ("道路运输经营许可证", "区交通运输局")]

DEMO_USERS = [
    # username, role, display name, department code, team
    ("staff", Role.SERVICE_STAFF, "陈晓东（店小二）", None, 0),
    ("staff2", Role.SERVICE_STAFF, "林海燕（店小二）", None, 1),
    ("officer", Role.DEPARTMENT_OFFICER, "王建华", "zrzy", None),
    ("head", Role.DEPARTMENT_HEAD, "李国强（科长）", "zrzy", None),
    ("coordinator", Role.COORDINATOR, "张敏（营商办）", "yshj", None),
    ("leader", Role.LEADER, "赵志刚（副区长）", None, None),
    ("editor", Role.EDITOR, "周文博（编辑）", None, None),
    ("moderator", Role.MODERATOR, "吴丽华（审核）", None, None),
    ("firm", Role.FIRM_USER, "刘伟（企业）", None, None),
    ("firm2", Role.FIRM_USER, "黄静（企业）", None, None),
]

OBSTACLES = [
    # title, category code, description
    ("新厂房用电报装进度慢", "sdqn-dian", "新建厂房需要增容至2000千伏安，报装已提交一个月仍未现场勘查。"),
    ("施工许可证办理材料反复补正", "sgxk-sgxk", "施工许可申请被要求三次补正材料，每次只告知一部分。"),
    ("项目用地规划条件未出具", "ghyd-gh", "项目已完成土地摘牌，规划条件迟迟未出具，影响设计。"),
    ("环评审批时限过长", "hp", "扩建项目环评报告表提交后超过法定时限未批复。"),
    ("急需招聘技术工人", "yg", "新产线投产需要30名数控操作工，希望协助对接职业院校。"),
    ("流动资金贷款困难", "rz", "订单增长但缺少抵押物，银行授信不足，希望对接政策性担保。"),
    ("研发费用加计扣除政策咨询", "sf", "不清楚委托研发费用能否享受加计扣除，咨询具体口径。"),
    ("人才补贴未兑现", "zcdx", "去年认定的高层次人才补贴尚未拨付。"),
    ("消防验收预约排期长", "xf", "装修工程完工，消防验收预约需要等待一个月以上。"),
    ("营业执照经营范围变更", "spxk-yyzz", "新增医疗器械销售经营范围，需要办理变更登记。"),
    ("自来水接入管网改造", "sdqn-shui", "园区内自来水管径不足，需改造后才能接入。"),
    ("燃气报装费用争议", "sdqn-qi", "燃气公司收取的配套费标准与公示不一致。"),
    ("不动产登记办理慢", "ghyd-td", "厂房竣工后不动产首次登记已提交四十天。"),
    ("联合验收部门意见不一致", "sgxk-ys", "联合验收中规划和消防意见相互矛盾，企业无所适从。"),
    ("食品经营许可延续", "spxk-xkz", "食品经营许可证即将到期，延续材料有疑问。"),
    ("外资准入负面清单咨询", "sczr", "外资股东拟增资，咨询是否属于负面清单限制领域。"),
    ("周边道路施工影响物流", "qt", "厂区门口道路长期封闭施工，货车无法进出。"),
    ("社保补贴申领系统报错", "yg", "稳岗补贴申领时系统提示信息不符。"),
]


class Command(BaseCommand):
    help = "Load demo data (idempotent) and print the demo logins."

    def handle(self, *args, **options):
        rng = random.Random(2026)  # noqa: S311 - deterministic demo data, not security
        with transaction.atomic():
            departments = self._departments()
            teams = self._teams()
            self._categories(departments)
            streets = self._streets()
            users = self._users(departments, teams)
            enterprises = self._enterprises(rng, streets)
            self._people_at_firms(rng, enterprises, users)
        self._obstacles(rng, enterprises, users, departments)
        self._visits(rng, enterprises, users)
        seed_cms_demo()
        self._print_logins()

    # -------------------------------------------------------------- reference data

    def _departments(self) -> dict[str, Department]:
        found = {}
        for code, name, kind, phone in DEPARTMENTS:
            found[code], _ = Department.objects.get_or_create(
                code=code, defaults={"name": name, "kind": kind, "office_phone": phone,
                                     "address": "区行政服务中心"})
        return found

    def _teams(self) -> list[ServiceTeam]:
        return [ServiceTeam.objects.get_or_create(name=n)[0]
                for n in ("第一服务专班", "第二服务专班")]

    def _categories(self, departments) -> None:
        for order, ((code, name, dept, normal, urgent), children) in enumerate(CATEGORIES):
            parent, _ = ObstacleCategory.objects.get_or_create(code=code, defaults={
                "name": name, "default_department": departments[dept],
                "limit_normal_days": normal, "limit_urgent_days": urgent,
                "sort_order": order * 10})
            for j, (ccode, cname, cdept, cn, cu) in enumerate(children):
                ObstacleCategory.objects.get_or_create(code=ccode, defaults={
                    "name": cname, "parent": parent, "default_department": departments[cdept],
                    "limit_normal_days": cn, "limit_urgent_days": cu,
                    "sort_order": order * 10 + j + 1})

    def _streets(self) -> list[Street]:
        return [Street.objects.get_or_create(code=c, defaults={"name": n})[0]
                for c, n in STREETS]

    def _user(self, username, role, display, department=None, team=None, mobile=None):
        User = get_user_model()
        user, created = User.objects.get_or_create(username=username, defaults={
            "email": f"{username}@example.gov.cn"})
        if created:
            user.set_password(settings.DEMO_PASSWORD)
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=role))
        Profile.objects.get_or_create(user=user, defaults={
            "display_name": display, "department": department, "team": team,
            "mobile": mobile, "office_phone": department.office_phone if department else ""})
        return user

    def _users(self, departments, teams) -> dict:
        users = {}
        for i, (username, role, display, dept, team) in enumerate(DEMO_USERS):
            users[username] = self._user(
                username, role, display, departments.get(dept) if dept else None,
                teams[team] if team is not None else None, mobile=f"1380000{i:04d}")
            if team is not None and teams[team].leader_id is None:
                # each demo team's one staff member leads it (gets the Monday report)
                teams[team].leader = users[username]
                teams[team].save(update_fields=["leader"])
        # an officer and a head in every other department, so every task can move
        for code, dept in departments.items():
            if code == "zrzy":
                continue
            users[f"officer_{code}"] = self._user(
                f"officer_{code}", Role.DEPARTMENT_OFFICER, f"{dept.name}经办人", dept)
            users[f"head_{code}"] = self._user(
                f"head_{code}", Role.DEPARTMENT_HEAD, f"{dept.name}负责人", dept)
        User = get_user_model()
        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser("admin", "admin@example.gov.cn", settings.DEMO_PASSWORD)
        return users

    # -------------------------------------------------------------- enterprises

    def _enterprises(self, rng, streets) -> list[Enterprise]:
        industries = {i.code: i for i in Industry.objects.all()}
        found, names = [], set()
        for _i in range(200):
            section = rng.choice(list(NAME_TRADE))
            core = rng.choice(NAME_CORE) + rng.choice(NAME_CORE)[0]
            name = f"{rng.choice(NAME_PREFIX)}{core}{rng.choice(NAME_TRADE[section])}有限公司"
            code = generate_credit_code(rng, division=DIVISION)
            capital = Decimal(rng.choice([50, 100, 200, 500, 1000, 3000, 5000, 20000]))
            scale = rng.choices(list(Scale.values), weights=[1, 3, 8, 6])[0]
            established = timezone.localdate() - timedelta(days=rng.randint(200, 8000))
            street = rng.choice(streets)
            flags = (rng.random() < 0.3, rng.random() < 0.12, rng.random() < 0.1)
            if name in names:
                name = name.replace("有限公司", "股份有限公司")
            names.add(name)
            enterprise, _ = Enterprise.objects.get_or_create(credit_code=code, defaults={
                "name": name, "industry": industries[section], "street": street,
                "legal_representative": rng.choice(SURNAMES) + rng.choice(GIVEN),
                "registered_address": f"杭州市西湖区{street.name}{rng.choice(['文一西路', '天目山路', '古墩路', '紫金港路', '留和路'])}{rng.randint(1, 999)}号",
                "scale": scale, "registered_capital": capital, "established_on": established,
                "is_above_scale": flags[0] or scale in (Scale.LARGE, Scale.MEDIUM),
                "is_key_project": flags[1], "is_specialised": flags[2],
            })
            found.append(enterprise)
        return found

    def _people_at_firms(self, rng, enterprises, users) -> None:
        today = timezone.localdate()
        for i, e in enumerate(enterprises):
            if not e.contacts.exists():
                Contact.objects.create(
                    enterprise=e, name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                    position=rng.choice(["总经理", "行政主管", "财务负责人", "项目经理"]),
                    mobile=f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}",
                    email=f"contact{i}@example.com", is_primary=True)
            if not e.licences.exists() and i % 3 == 0:
                name, issuer = rng.choice(LICENCES)
                # every ninth firm has a licence expiring within the month
                expires = today + timedelta(days=rng.randint(3, 30) if i % 9 == 0
                                            else rng.randint(90, 1000))
                Licence.objects.create(
                    enterprise=e, name=name, issuer=issuer, number=f"ZJ{rng.randint(10**7, 10**8)}",
                    issued_on=expires - timedelta(days=365 * 3), expires_on=expires)
            staff = users["staff"] if i < 30 else users["staff2"] if i < 60 else None
            if staff and not e.liaisons.exists():
                Liaison.objects.create(staff=staff, enterprise=e,
                                       starts_on=today - timedelta(days=180))
        # through the service: the members get their portal grants (guardian)
        membership_add(user=users["firm"], enterprise=enterprises[0], is_admin=True)
        membership_add(user=users["firm2"], enterprise=enterprises[1], is_admin=True)

    # -------------------------------------------------------------- obstacles

    def _obstacles(self, rng, enterprises, users, departments) -> None:
        if Obstacle.objects.filter(external_ref__startswith="DEMO-").exists():
            return
        staff, coordinator = users["staff"], users["coordinator"]
        categories = {c.code: c for c in ObstacleCategory.objects.all()}
        # what happens to each demo obstacle, in order; every state and colour
        plan = (["submitted"] * 5 + ["assigned"] * 4 + ["assigned_late"] * 2
                + ["in_progress"] * 5 + ["in_progress_late"] * 3 + ["extension"]
                + ["returned_once"] + ["returned_twice"] + ["co_handled"]
                + ["resolved"] * 4 + ["closing"] * 3 + ["closed"] * 7 + ["reopened"]
                + ["rejected"] * 2)
        for n, step in enumerate(plan):
            title, cat, description = OBSTACLES[n % len(OBSTACLES)]
            category = categories[cat]
            enterprise = enterprises[n % 40] if n % 5 else enterprises[n % 2]
            received_at = timezone.now() - timedelta(days=rng.randint(0, 3), hours=n)
            with transaction.atomic():
                obstacle = services.obstacle_submit(
                    actor=staff if n % 3 else coordinator, enterprise=enterprise,
                    category=category, title=title, description=description,
                    channel=[Channel.VISIT, Channel.HOTLINE, Channel.WINDOW, Channel.OTHER][n % 4],
                    urgency=Urgency.URGENT if n % 7 == 0 else Urgency.NORMAL,
                    contact_name=enterprise.contacts.first().name,
                    contact_phone=enterprise.contacts.first().mobile,
                    external_ref=f"DEMO-{n:03d}", received_at=received_at,
                )
                self._play(step, obstacle.tasks.get(role="lead"), category, users,
                           departments, coordinator, staff)
        services.escalate_overdue()

    def _officer(self, users, task):
        code = task.department.code
        return users.get(f"officer_{code}", users["officer"]) if code != "zrzy" else users["officer"]

    def _play(self, step, task, category, users, departments, coordinator, staff) -> None:
        s = services
        pk = task.pk
        if step == "submitted":
            return
        if step == "rejected":
            s.task_reject(task_id=pk, actor=coordinator, reason=RejectReason.OUT_OF_SCOPE,
                          comment="属于司法诉讼事项，已告知企业通过法律途径解决。")
            return
        department = category.default_department
        if step in ("returned_once", "returned_twice"):
            wrong = departments["fgj"] if department.code != "fgj" else departments["jxj"]
            for _i in range(1 if step == "returned_once" else 2):
                task = s.task_assign(task_id=pk, actor=coordinator, department=wrong)
                s.task_return(task_id=pk, actor=self._officer(users, task),
                              reason="该事项不属于本单位职责，建议交由行业主管部门办理。")
            return
        co = [departments["zwfw"]] if step == "co_handled" else []
        task = s.task_assign(task_id=pk, actor=coordinator, department=department,
                             co_departments=co, comment="请按时限办理并及时反馈企业。")
        officer = self._officer(users, task)
        if step.endswith("_late"):
            self._backdate(task, working_days=category.limit_normal_days + 4)
        if step.startswith("assigned"):
            return
        s.task_accept(task_id=pk, actor=officer, comment="已受理，正在协调。")
        s.task_add_note(task_id=pk, actor=officer, comment="已联系企业了解情况，正在内部会商。",
                        is_visible_to_firm=True)
        if step in ("in_progress", "in_progress_late", "co_handled"):
            if step == "co_handled":
                co_task = task.obstacle.tasks.get(role="co")
                s.task_accept(task_id=co_task.pk, actor=users["officer_zwfw"])
            return
        if step == "extension":
            s.extension_request(task_id=pk, actor=officer,
                                new_deadline=add_working_days(task.deadline_on, 5),
                                reason="需等待上级部门批复，申请延期五个工作日。")
            return
        s.task_resolve(task_id=pk, actor=officer,
                       resolution="已现场办结，相关手续已办理完毕并告知企业。")
        if step == "resolved":
            return
        rating = 2 if step == "reopened" else (5 if step == "closed" else 4)
        s.task_callback(task_id=pk, actor=staff, is_reached=True, rating=rating,
                        comment="企业对办理结果表示认可。" if rating > 2 else "企业反映问题未彻底解决。")
        if step == "closed":
            approval = task.approvals.get(kind="close_out", status="pending")
            s.close_out_decide(approval_id=approval.pk, actor=coordinator, approve=True,
                               comment="回访满意，同意销号。")

    def _visits(self, rng, enterprises, users) -> None:
        """Eight weeks of visits by the two demo staff, through the service."""
        from visits.choices import Mode
        from visits.models import Visit
        from visits.services import visit_save

        if Visit.objects.exists():
            return
        now = timezone.now()
        purposes = ["了解项目推进情况", "宣讲惠企政策", "回访诉求办理情况", "走访了解用工需求"]
        for person, firms in (("staff", enterprises[:30]), ("staff2", enterprises[30:60])):
            for week in range(8, -1, -1):
                count = 2 if week == 0 else rng.choice([3, 4, 4, 5])
                for j in range(count):
                    when = now - timedelta(days=7 * week + j, hours=rng.randint(0, 5))
                    if when > now:
                        continue
                    visit_save(
                        actor=users[person], submit=True,
                        companions=[users["staff2" if person == "staff" else "staff"]]
                        if j == 0 and week % 3 == 0 else [],
                        data={"enterprise": rng.choice(firms), "visited_at": when,
                              "mode": rng.choice([Mode.ON_SITE, Mode.ON_SITE, Mode.PHONE]),
                              "purpose": rng.choice(purposes),
                              "notes": "企业生产经营正常，订单较去年同期增长。",
                              "operating_status": "normal", "orders_trend": "up"},
                    )

    def _backdate(self, task: Task, *, working_days: int) -> None:
        # Demo only: move the assignment into the past so the ledger shows
        # overdue (red) tasks; the state itself is never touched here.
        today = timezone.localdate()
        assigned = today - timedelta(days=working_days * 7 // 5 + 3)
        Task.objects.filter(pk=task.pk).update(
            assigned_at=timezone.now() - (today - assigned),
            deadline_on=add_working_days(assigned, working_days - 4),
            original_deadline_on=add_working_days(assigned, working_days - 4),
        )

    def _print_logins(self) -> None:
        self.stdout.write(self.style.SUCCESS("Demo data ready. Logins (password: DEMO_PASSWORD, "
                                             f"default {settings.DEMO_PASSWORD!r}):"))
        for username, role, display, _d, _t in DEMO_USERS:
            self.stdout.write(f"  {username:<12} {Role(role).label} · {display}")
        self.stdout.write("  admin        Django superuser (installation only)")
        self.stdout.write(f"  {'':<12} {Enterprise.objects.count()} enterprises, "
                          f"{Obstacle.objects.count()} obstacles, "
                          f"{Task.objects.exclude(state=TaskState.REJECTED).count()} live tasks")
