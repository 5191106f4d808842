"""Page types: where each may live, and that editors can create them through
the Wagtail admin (WagtailPageTestCase)."""

from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from cms.models import (
    ChecklistIndexPage,
    ChecklistPage,
    HomePage,
    PolicyGuidePage,
    PolicyIndexPage,
)


class PageTreeTests(WagtailPageTestCase):
    def test_the_home_page_holds_the_two_indexes(self):
        self.assertAllowedSubpageTypes(HomePage, {PolicyIndexPage, ChecklistIndexPage})
        self.assertAllowedParentPageTypes(HomePage, {Page})

    def test_guides_live_under_the_policy_index_only(self):
        self.assertAllowedSubpageTypes(PolicyIndexPage, {PolicyGuidePage})
        self.assertAllowedParentPageTypes(PolicyGuidePage, {PolicyIndexPage})
        self.assertAllowedSubpageTypes(PolicyGuidePage, set())
        self.assertCanNotCreateAt(HomePage, PolicyGuidePage)
        self.assertCanNotCreateAt(ChecklistIndexPage, PolicyGuidePage)

    def test_checklists_live_under_the_checklist_index_only(self):
        self.assertAllowedSubpageTypes(ChecklistIndexPage, {ChecklistPage})
        self.assertAllowedParentPageTypes(ChecklistPage, {ChecklistIndexPage})
        self.assertCanNotCreateAt(PolicyIndexPage, ChecklistPage)


class PageCreationTests(WagtailPageTestCase):
    def setUp(self):
        # force_login: axes refuses a login() without a request
        self.client.force_login(self.create_superuser("admin"))
        self.home = HomePage.objects.get()

    def test_a_guide_and_a_checklist_can_be_created_in_the_admin(self):
        policies = self.home.add_child(instance=PolicyIndexPage(title="政策指南"))
        checklists = self.home.add_child(instance=ChecklistIndexPage(title="一纸清"))
        self.assertCanCreate(policies, PolicyGuidePage, nested_form_data({
            "title": "吸纳就业社保补贴政策指南",
            "slug": "sbbt",
            "summary": "招用高校毕业生并缴纳社保的企业可申领社保补贴。",
            "department": "区人力资源和社会保障局",
            "eligibility": rich_text("<p>招用高校毕业生的企业。</p>"),
            "benefits": rich_text("<p>按月补贴。</p>"),
            "steps": streamfield([("step", {"heading": "网上申请", "text": ""})]),
        }))
        self.assertCanCreate(checklists, ChecklistPage, nested_form_data({
            "title": "企业开办一纸清",
            "slug": "qykb",
            "department": "区市场监督管理局",
            "fee": "不收费",
            "materials": streamfield([("material", {
                "name": "公司章程", "form": "original", "copies": 1, "is_required": True,
                "condition": "", "notes": "", "sample": "",
            })]),
            "faq": streamfield([]),
        }))
        guide = PolicyGuidePage.objects.get(slug="sbbt")
        checklist = ChecklistPage.objects.get(slug="qykb")
        assert guide.live and checklist.live
        assert checklist.materials[0].value["name"] == "公司章程"
        self.assertPageIsRenderable(guide)
        self.assertPageIsRenderable(checklist)
